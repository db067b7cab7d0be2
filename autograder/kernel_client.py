"""The kernel client every notebook run of the course uses: no reply left unread on the shell socket.

nbclient waits for a cell's ``execute_reply`` with one ``poll`` of the shell socket that lasts
the whole cell time limit. While it waits, its mimic of the Output widget
(``nbclient.output_widget.OutputWidget``, used by every ``widgets.interactive_output``) sends
``comm_msg`` updates on that same socket. A send on a ``zmq.asyncio`` socket can consume the
socket's edge-triggered "readable" notification, so a reply that arrives at that moment is
never noticed by the pending ``poll``: the cell ran in a quarter of a second, and the grader
waits until the poll's timeout (the cell time limit, 60 s), when pyzmq's last look at the
socket finds the reply. No error, only a minute lost.
Measured on the w02 notebook (two ``interactive_output`` widgets): about one notebook in a
hundred lost 60 s, and a notebook of 150 such widgets lost 3 s (its timeout) on 2-4 % of them
(``benchmarks/bench_shell_poll.py``).

:class:`ShellChannel` waits in slices of :data:`POLL_SLICE_S`: every new ``poll`` looks at
the socket's state first, so a stranded reply is read within one slice. :class:`KernelClient`
is ``jupyter_client``'s asynchronous client with that shell channel;
:data:`CLIENT_FACTORY` is how a kernel manager is told to use it
(``KernelManager.client_factory``, set by :func:`autograder.nbconfig.nbgrader_settings` for
nbgrader's autograde and validate, and by the course's own notebook runners).
"""
from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

__all__ = ["ShellChannel", "KernelClient", "notebook_client", "CLIENT_FACTORY", "POLL_SLICE_S"]

#: Longest single wait on the shell socket, in seconds (a stranded reply costs at most this).
POLL_SLICE_S = 0.25

#: ``KernelManager.client_factory`` for the course's kernels (a dotted name for traitlets).
CLIENT_FACTORY = "autograder.kernel_client.KernelClient"


class ShellChannel(AsyncZMQSocketChannel):
    """The shell channel, waiting for a message in slices of :data:`POLL_SLICE_S`."""

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        """The next message; ``queue.Empty`` after ``timeout`` seconds (``None``: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE_S if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await super().get_msg(timeout=min(POLL_SLICE_S, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class KernelClient(AsyncKernelClient):
    """``jupyter_client``'s asynchronous kernel client with the sliced :class:`ShellChannel`."""

    shell_channel_class = Type(ShellChannel)  # type: ignore[assignment]


def notebook_client(nb, **kwargs):
    """nbclient's ``NotebookClient`` for ``nb`` whose kernel manager uses :class:`KernelClient`.

    ``kwargs`` are ``NotebookClient``'s (``timeout``, ``kernel_name``, ``resources`` ...).
    """
    from nbclient import NotebookClient
    from traitlets.config import Config

    config = Config()
    config.KernelManager.client_factory = CLIENT_FACTORY
    return NotebookClient(nb, config=config, **kwargs)
