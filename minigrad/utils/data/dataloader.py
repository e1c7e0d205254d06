"""DataLoader, samplers and collation (``torch.utils.data.dataloader`` / ``sampler`` / ``_utils.collate``).

Loading always runs in the calling process: ``num_workers``, ``pin_memory``,
``prefetch_factor`` ... are accepted for compatibility and change nothing.

Fast path: when the dataset is a ``TensorDataset`` (possibly inside
``Subset``s, as from ``random_split``), sampling is sequential or random and
collation is the default, each batch is gathered with one indexing per
tensor (``t[idx_array]``) instead of stacking ``batch_size`` samples.  The
result is the same as collating samples one by one (``default_collate`` of
``(x, y)`` tuples is ``[stack(xs), stack(ys)]``), only faster.

Shuffling draws what torch draws, from the same generators: ``generator=``
(a ``minigrad.Generator``) or, by default, the global one seeded by
``minigrad.manual_seed``.  Each ``iter(loader)`` first draws torch's worker
base seed (one 64-bit value) from the loader's generator; a ``RandomSampler``
without a generator then draws a seed for a fresh ``Generator`` of its own and
shuffles with that.  So after the same ``manual_seed`` an epoch visits the
samples in torch's order.  (torch draws lazily as the epoch runs; here an
epoch's indices are drawn at its first batch, which only shows when the
sampler's own ``generator=`` is also drawn from elsewhere during the epoch.)
"""
from __future__ import annotations

import collections
import copy
import math
import re
import warnings
from typing import Generic, Iterator, TypeVar

import numpy as np

from ... import _dtype, _random
from ..._factories import as_tensor, tensor
from ..._tensor import Tensor, stack
from .dataset import IterableDataset, Subset, TensorDataset

T_co = TypeVar("T_co", covariant=True)

__all__ = ["DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "default_collate", "default_convert", "get_worker_info"]


# ================================================================ samplers ==

class Sampler(Generic[T_co]):
    """Base class of index samplers: ``__iter__`` yields dataset indices."""

    def __init__(self, data_source=None) -> None:
        if data_source is not None:
            warnings.warn("`data_source` argument is not used and will be removed in 2.2.0."
                          "You may still have custom implementation that utilizes it.", stacklevel=2)

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """Indices ``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random permutation of the indices (or ``num_samples`` draws with replacement)."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self) -> np.ndarray:
        """One epoch's indices, drawn now as torch draws them: without a generator, a seed from the global
        one for a fresh Generator; then ``randint`` in chunks (with replacement) or whole ``randperm``s, the
        last one cut short (torch draws it even when nothing of it is used)."""
        n = len(self.data_source)
        if self.generator is None:
            seed = int(_random.random_default(_random.default_generator, 1, _dtype.int64)[0])
            gen = _random.Generator().manual_seed(seed)
        else:
            gen = _random._gen(self.generator)
        if self.replacement:      # torch: randint(high=n, size=(32,)) chunks, the same words in a row
            return _random.random_from_to(gen, self.num_samples, _dtype.int64, n, 0)
        reps = [_random.randperm(gen, n) for _ in range(self.num_samples // n)]
        reps.append(_random.randperm(gen, n)[: self.num_samples % n])
        return np.concatenate(reps).astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        yield from self._index_array().tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        """``indices`` in the order of torch's ``randperm(len(indices), generator=generator)``."""
        order = _random.randperm(_random._gen(self.generator), len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[order] if len(self.indices) else np.zeros(0, np.int64)

    def __iter__(self):
        yield from self._index_array().tolist()

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _index_batches(self):
        """Batches as NumPy index arrays, when the sampler can give a whole epoch at once; else None."""
        if not hasattr(self.sampler, "_index_array"):
            return None
        idx = self.sampler._index_array()
        n = len(idx) - len(idx) % self.batch_size if self.drop_last else len(idx)
        return (idx[i: i + self.batch_size] for i in range(0, n, self.batch_size))

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


# =============================================================== collation ==

_np_str_obj_array_pattern = re.compile(r"[SaUO]")
default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def default_convert(data):
    """Turn NumPy arrays (also inside mappings and sequences) into tensors; leave everything else."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and _np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def _collate_leaf(batch):
    """Collate a batch of tensors, arrays, numbers or strings; None when ``batch[0]`` is a container."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
            raise TypeError(default_collate_err_msg_format.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return as_tensor(np.asarray(batch))             # keeps the NumPy dtype (np.int32 -> int32), as torch
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)      # torch: Python floats collate to float64
    if isinstance(elem, int):                            # bool too (an int subclass): tensor() infers bool
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    return None


def default_collate(batch):
    """Stack a list of samples into a batch, with torch's rules.

    Tensors and NumPy arrays are stacked (dtype kept); Python floats become a
    float64 tensor, ints an int64 tensor, bools a bool tensor; strings are
    returned as they are; mappings, namedtuples, tuples and lists are
    collated field by field (a tuple of fields becomes a list, as in torch).
    """
    out = _collate_leaf(batch)
    if out is not None:
        return out
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: default_collate([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def get_worker_info():
    """Always None: minigrad loads data in the calling process."""
    return None


# ============================================================== DataLoader ==

def _tensor_source(dataset):
    """``(tensors, index_map)`` when ``dataset`` is a plain TensorDataset, possibly inside Subsets; else None.

    ``index_map`` is None or a NumPy array mapping the dataset's indices to the tensors' rows.
    """
    index_map = None
    while type(dataset) is Subset:
        sub = np.asarray(dataset.indices, dtype=np.int64) if len(dataset.indices) else np.zeros(0, np.int64)
        if sub.ndim != 1:
            return None
        index_map = sub if index_map is None else sub[index_map]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None
    cls = type(dataset)
    if cls.__getitem__ is not TensorDataset.__getitem__ or hasattr(cls, "__getitems__"):
        return None
    return dataset.tensors, index_map


class DataLoader(Generic[T_co]):
    """Iterate over a dataset in batches (``torch.utils.data.DataLoader``).

    ``len(loader)`` is the number of batches.  See the module docstring for
    what runs in-process and for the TensorDataset fast path.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            self._dataset_kind = "map"
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None and self._dataset_kind == "map":
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and self._dataset_kind == "map":
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        if pin_memory:
            from ... import cuda
            if not cuda.is_available():
                warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                              "pinned memory won't be used.", stacklevel=2)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._dataset_kind == "iterable" and self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> "_DataLoaderIter":
        return _DataLoaderIter(self)

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


class _DataLoaderIter:
    """One pass over a DataLoader; ``next(it)`` and the old ``it.next()`` both work."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._batches = None          # created on the first next(), as torch's lazy samplers draw then
        self._num_yielded = 0
        # torch draws its workers' base seed here, whatever num_workers: one int64 random_() value
        _random.random_default(_random._gen(loader.generator), 1, _dtype.int64)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def _start(self):
        loader = self._loader
        if loader._dataset_kind == "iterable":
            return self._iterable_batches()
        if loader._auto_collation and loader.collate_fn is default_collate and type(loader.batch_sampler) is \
                BatchSampler:
            source = _tensor_source(loader.dataset)
            if source is not None:
                index_batches = loader.batch_sampler._index_batches()
                if index_batches is not None:
                    return self._tensor_batches(source, index_batches)
        return self._map_batches()

    def _tensor_batches(self, source, index_batches):
        tensors, index_map = source
        for idx in index_batches:
            rows = idx if index_map is None else index_map[idx]
            yield [t[rows] for t in tensors]

    def _map_batches(self):
        loader = self._loader
        dataset, collate = loader.dataset, loader.collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        if not loader._auto_collation:
            for idx in loader.sampler:
                yield collate(dataset[idx])
            return
        for batch_idx in loader.batch_sampler:
            if not isinstance(batch_idx, list):
                batch_idx = list(batch_idx)
            data = getitems(batch_idx) if callable(getitems) else [dataset[i] for i in batch_idx]
            yield collate(data)

    def _iterable_batches(self):
        loader = self._loader
        it = iter(loader.dataset)
        if loader.batch_size is None:
            for sample in it:
                yield loader.collate_fn(sample)
            return
        while True:
            batch = []
            for sample in it:
                batch.append(sample)
                if len(batch) == loader.batch_size:
                    break
            if not batch or (loader.drop_last and len(batch) < loader.batch_size):
                return
            yield loader.collate_fn(batch)

    def __next__(self):
        if self._batches is None:
            self._batches = self._start()
        batch = next(self._batches)
        self._num_yielded += 1
        return batch

    next = __next__                   # the old ``dataiter.next()`` idiom of pre-1.13 tutorials
