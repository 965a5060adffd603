"""C integer types and their widths: what a value stored in a typed location becomes.

The simulator computes with exact Python integers; C does not.  A value stored in a
variable of an integer type (declaration, assignment, ``++``/``--``, parameter
binding) is brought to that type as the kernel's compilers do on its 64-bit
targets (LP64: ``long`` and pointers are 64 bits, ``int`` 32):

- unsigned types wrap modulo 2**width (``unsigned long``/``u64``/``size_t`` 64 bits,
  ``unsigned int``/``u32`` 32, ``u16`` 16, ``u8`` 8), so ``x = x * x`` never grows
  past 64 bits;
- a signed value out of its type's range is an unknown: signed overflow is undefined
  behaviour in C, the simulator does not guess what the compiler made of it;
- ``bool`` becomes 0 or 1;
- a location whose type is not known (a field, heap memory) holds any value in
  [-2**63, 2**64); outside that, an unknown.

Intermediate results inside one expression are exact up to :data:`ARITH_LIMIT`
(the product of two 64-bit values fits) and unknown beyond it.
"""

from __future__ import annotations

import re

# |intermediate result| below this is kept exact (a 64-bit x 64-bit product fits)
ARITH_LIMIT = 1 << 128
UNTYPED_MIN, UNTYPED_MAX = -(1 << 63), (1 << 64) - 1

_UNSIGNED = {
    64: ("unsigned long", "unsigned long int", "unsigned long long", "unsigned long long int", "long unsigned int",
         "long unsigned", "u64", "__u64", "uint64_t", "size_t", "uintptr_t", "pgoff_t", "sector_t", "blkcnt_t",
         "phys_addr_t", "dma_addr_t", "resource_size_t", "__le64", "__be64", "ulong"),
    32: ("unsigned int", "unsigned", "u32", "__u32", "uint32_t", "uint", "gfp_t", "__le32", "__be32", "fgf_t"),
    16: ("unsigned short", "unsigned short int", "u16", "__u16", "uint16_t", "ushort", "__le16", "__be16"),
    8: ("unsigned char", "u8", "__u8", "uint8_t", "uchar"),
}
_SIGNED = {
    64: ("long", "long int", "signed long", "long long", "long long int", "signed long long", "s64", "__s64",
         "int64_t", "ssize_t", "loff_t", "intptr_t", "ptrdiff_t", "time64_t"),
    32: ("int", "signed int", "signed", "s32", "__s32", "int32_t"),
    16: ("short", "short int", "signed short", "s16", "__s16", "int16_t"),
    8: ("signed char", "s8", "__s8", "int8_t", "char"),
}
_TYPES = {name: (bits, False) for bits, names in _UNSIGNED.items() for name in names}
_TYPES.update({name: (bits, True) for bits, names in _SIGNED.items() for name in names})
_BOOL = frozenset({"bool", "_Bool"})
_QUALIFIERS = re.compile(r"\b(?:const|volatile|static|register|extern|inline|__maybe_unused|__always_unused|"
                         r"__read_mostly|__initdata|__user|__iomem|__rcu|__force)\b")


def int_type(type_text: str) -> tuple[int, bool] | None:
    """``(bits, signed)`` of a C integer type's text; ``(1, False)`` for bool; None when
    it is not a known integer type (a pointer, a struct, an enum, a typedef we do not know)."""
    if not type_text or "*" in type_text or "[" in type_text:
        return None
    t = " ".join(_QUALIFIERS.sub(" ", type_text).split())
    if t in _BOOL:
        return (1, False)
    return _TYPES.get(t)


def fit(value: int, type_text: str) -> int | None:
    """``value`` as stored in a location of type ``type_text``; None when it is not
    representable (a signed overflow, or out of the 64-bit range when the type is not known)."""
    kind = int_type(type_text)
    if kind is None:
        return value if UNTYPED_MIN <= value <= UNTYPED_MAX else None
    bits, signed = kind
    if bits == 1:
        return int(value != 0)
    if not signed:
        return value & ((1 << bits) - 1)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return value if lo <= value <= hi else None
