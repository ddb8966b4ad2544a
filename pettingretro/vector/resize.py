"""Area resampling of batches of uint8 frames in integer arithmetic (no OpenCV, no BLAS threads)."""

from __future__ import annotations

from math import gcd

import numpy as np
import numpy.typing as npt

__all__ = ["AreaResize"]


def _taps(n_in: int, n_out: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32], int]:
    """Source indices and integer overlap weights of each output pixel along one axis.

    Output pixel ``j`` covers source interval ``[j * n_in / n_out, (j + 1) * n_in / n_out)``.
    Measured in units of ``1 / (n_out / g)`` source pixels (``g = gcd(n_in, n_out)``) every
    overlap is an integer and each output's weights add up to ``n_in / g``.

    Returns:
        ``(index, weight, total)``: (n_out, taps) arrays, and the weights' sum per output.
    """
    g = gcd(n_in, n_out)
    bi, bo = n_in // g, n_out // g
    rows: list[list[tuple[int, int]]] = []
    for j in range(n_out):
        lo, hi = j * bi, (j + 1) * bi  # in units of 1/bo source pixels
        row = []
        for s in range(lo // bo, min(n_in, -(-hi // bo))):
            w = min(hi, (s + 1) * bo) - max(lo, s * bo)
            if w > 0:
                row.append((s, w))
        rows.append(row)
    k = max(len(r) for r in rows)
    index = np.zeros((n_out, k), np.intp)
    weight = np.zeros((n_out, k), np.uint32)
    for j, row in enumerate(rows):
        for t, (s, w) in enumerate(row):
            index[j, t] = s
            weight[j, t] = w
        index[j, len(row) :] = row[-1][0]  # padding taps read a valid pixel with weight 0
    return index, weight, bi


class AreaResize:
    """Resize batches of frames by exact pixel-area averaging, like OpenCV's ``INTER_AREA``.

    Every output pixel is the mean of the source area it covers, computed exactly in
    integers and rounded half up, so results are the same on every machine. Works on
    ``(N, H, W)`` and ``(N, H, W, C)`` uint8 batches.

    Args:
        src_shape: ``(H, W)`` of the source frames.
        dst_shape: ``(height, width)`` of the output frames.

    Example:
        >>> import numpy as np
        >>> resize = AreaResize((4, 4), (2, 2))
        >>> frames = np.arange(16, dtype=np.uint8).reshape(1, 4, 4)
        >>> resize(frames)[0].tolist()
        [[3, 5], [11, 13]]
    """

    def __init__(self, src_shape: tuple[int, int], dst_shape: tuple[int, int]) -> None:
        (h, w), (oh, ow) = src_shape, dst_shape
        if min(h, w, oh, ow) < 1:
            raise ValueError(f"sizes must be positive, got {src_shape} -> {dst_shape}")
        self.src_shape = (h, w)
        self.dst_shape = (oh, ow)
        self._hi, hw, hsum = _taps(h, oh)
        self._wi, ww, wsum = _taps(w, ow)
        self._div = hsum * wsum
        # the smallest accumulator that cannot overflow: 255 * 200 fits uint16 for 210x160 -> 84x84
        self._acc = np.uint16 if 255 * self._div + self._div // 2 <= 0xFFFF else np.uint32
        self._hw = hw.astype(self._acc)
        self._ww = ww.astype(self._acc)
        self._half = self._acc(self._div // 2)
        #: ``(h_index, h_weight, w_index, w_weight, divisor)``: what C needs to do the same
        self.taps = (
            self._hi.astype(np.int32),
            hw,
            self._wi.astype(np.int32),
            ww,
            self._div,
        )

    def __call__(
        self, src: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8] | None = None
    ) -> npt.NDArray[np.uint8]:
        """Resize ``src`` (N, H, W[, C]) into ``out`` (N, height, width[, C]), which is returned."""
        if src.shape[1:3] != self.src_shape:
            raise ValueError(
                f"frames must be (N, {self.src_shape[0]}, {self.src_shape[1]}, ...), got {src.shape}"
            )
        n, rest = src.shape[0], src.shape[3:]
        oh, ow = self.dst_shape
        if out is None:
            out = np.empty((n, oh, ow, *rest), np.uint8)
        extra = (slice(None),) + (None,) * (1 + len(rest))  # a row's weight spans width, channels
        acc = self._acc
        rows = np.multiply(src[:, self._hi[:, 0]], self._hw[:, 0][extra], dtype=acc)
        for t in range(1, self._hi.shape[1]):
            rows += np.multiply(src[:, self._hi[:, t]], self._hw[:, t][extra], dtype=acc)
        wextra = (slice(None),) + (None,) * len(rest)
        cols = np.multiply(rows[:, :, self._wi[:, 0]], self._ww[:, 0][wextra], dtype=acc)
        for t in range(1, self._wi.shape[1]):
            cols += np.multiply(rows[:, :, self._wi[:, t]], self._ww[:, t][wextra], dtype=acc)
        cols += self._half
        np.floor_divide(cols, acc(self._div), out=cols)
        np.copyto(out, cols, casting="unsafe")
        return out
