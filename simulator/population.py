"""Faker-made producers (insurance agents) for the portal, up to a billion of them.

A `Population` is a pure function of its seed and index: ``producer(i)`` is the same
producer in any order and in any process, so a sharded load simulation can make its
own slice without talking to the others. Faker is called only while the Population
is built, to fill small pools of names and email domains; each producer is then
composed from those pools with an arithmetic hash of its index (about a hundred
times cheaper than a Faker call per field).

Identities are unique by construction, not by checking:

* ``user_name`` is lower-case letters from the names, then a digit, then the index in
  base 36: the first digit marks where the code starts, so two indices never collide.
* ``agent_unique_id`` is an affine bijection of the index over 0..999_999_999
  (a multiplier coprime to 10**9), zero-padded to nine digits.
* ``email`` is built the same way as the user name from the first index of its
  sharing group; groups are consecutive indices inside cells of `SHARING_CELL`, so
  `Population.sharing` answers who shares an address without making anybody else
  (USER-6: the username email lists every user name linked to the address).

The pools depend on the installed Faker's data: the same seed gives the same
producers with the same Faker version. Passwords are test identities drawn from the
seeded hash, not secrets (the portal's temporary passwords come from `secrets`).

One concern, making producers: the scalar and the vectorised (numpy) path draw the
same producers from the same hash and are kept side by side so that they stay equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faker import Faker

from specs.model import Parameters, PasswordPolicy, ProducerServices

if TYPE_CHECKING:  # numpy is imported only by `Population.columns`, so `rpp verify` starts fast
    import numpy as np

__all__ = [
    "AGENT_UNIQUE_ID_SPACE",
    "LINES",
    "SHARING_CELL",
    "Population",
    "Producer",
    "ProducerColumns",
    "business_lines",
    "derive_seed",
]

AGENT_UNIQUE_ID_SPACE = 10**9
"""Agent Unique IDs are nine digits (USER-2), so at most this many producers."""

LINES: tuple[str, ...] = (
    "major_medical",
    "medicare_supplement_legacy",
    "medicare_supplement_new_business",
    "medicare_advantage",
    "prescription_drug",
)
"""The lines of business: the directory's rows. Medicare Supplement business is Legacy
(policies before the cut-over) or New Business (after it): each has its own number."""

SHARING_CELL = 5
"""Shared addresses group consecutive indices at the start of a cell of this many."""

# Per cell: a pair in 45 of 100 cells, a trio in 5, so about 10% of addresses are
# shared by two producers and 1% by three (4.45 addresses per cell on average).
_TRIO_PER_100 = 5
_PAIR_OR_TRIO_PER_100 = 50

_STATE_FARM_PER_128 = 13  # about 10% of producers are State Farm agents (SERVICES-2)

# How often a producer writes each line; the combination is drawn from a table of
# 1024 slots so one lookup picks a non-empty set.
_LINE_SHARE: Mapping[str, float] = {
    "major_medical": 0.6,
    # A load assumption, not the guide's: most Medicare Supplement business is newer.
    "medicare_supplement_legacy": 0.15,
    "medicare_supplement_new_business": 0.35,
    "medicare_advantage": 0.3,
    "prescription_drug": 0.2,
}
_OTHER_LINE_SHARE = 0.3
_LINE_TABLE_SLOTS = 1024

_FIRST_NAME_DRAWS = 4000  # en_US has ~700 distinct first and 1000 last names
_LAST_NAME_DRAWS = 4000
_DOMAIN_NAME_DRAWS = 40
_FREE_DOMAIN_DRAWS = 24  # gmail.com, yahoo.com, hotmail.com: drawn often, kept with repeats
_USER_NAME_LETTERS = 14

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_POPULATION_TAG = 0x706F70  # "pop": keeps these streams apart from other derive_seed users

_DIGITS = "0123456789"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALPHANUMERIC = _DIGITS + _LETTERS
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE36_PAIRS = tuple(a + b for a in _BASE36 for b in _BASE36)
_CODE_LENGTH = 6  # base-36 digits of the largest index (36**6 > 10**9)


@dataclass(frozen=True, slots=True)
class Producer:
    """One insurance agent with an RPP account."""

    index: int
    first_name: str
    last_name: str
    user_name: str  # unique, lower-case ASCII letters and digits
    agent_unique_id: str  # nine digits, unique, leading zeros kept
    email: str  # lower case; shared by two or three producers for some
    home_state: str  # one of parameters.states
    state_farm: bool  # State Farm agents call their own number (SERVICES-2)
    lines: tuple[str, ...]  # lines of business, at least one, in `LINES` order
    password: str  # satisfies parameters.password_policy


@dataclass(frozen=True)
class ProducerColumns:
    """Some fields of many producers at once, as numpy arrays (one entry per index):
    what a load simulation needs of each producer, without making the producers.

    ``home_state`` indexes ``Population.parameters.states``; ``lines`` indexes
    `Population.line_sets` (the producer's lines of business, in `LINES` order);
    ``primary_line`` indexes ``Population.lines`` (the first of those lines).
    """

    index: np.ndarray  # int64
    home_state: np.ndarray  # int8
    state_farm: np.ndarray  # bool
    lines: np.ndarray  # int16
    primary_line: np.ndarray  # int8


def derive_seed(seed: int, *parts: int) -> int:
    """A 64-bit seed from ``seed`` and ``parts``, the same in every process and run.

    Different part sequences give unrelated seeds (BLAKE2b of their decimal forms),
    so a simulation can derive one stream per shard, per producer or per purpose.
    """
    for value in (seed, *parts):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"derive_seed takes ints, got {value!r}")
    text = ",".join(str(value) for value in (seed, *parts)).encode("ascii")
    digest = hashlib.blake2b(text, digest_size=8, person=b"rpp-flows").digest()
    return int.from_bytes(digest, "big")


def business_lines(producer_services: ProducerServices) -> tuple[str, ...]:
    """The directory's row keys: a producer's business is one of them (Medicare
    Supplement Legacy and New Business are different business, SERVICES-1)."""
    return tuple(producer_services.lines)


def _mix(value: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit ints that scatters every bit."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _mix_array(value: np.ndarray) -> np.ndarray:
    """`_mix` on a numpy uint64 array (its arithmetic wraps modulo 2**64, like ``& _MASK64``)."""
    import numpy as np

    value = (value ^ (value >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    value = (value ^ (value >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return value ^ (value >> np.uint64(31))  # type: ignore[no-any-return]


def _base36(number: int) -> str:
    """``number`` (>= 0) in lower-case base 36, without leading zeros."""
    if number < 36:
        return _BASE36[number]
    pairs = _BASE36_PAIRS
    text = ""
    while number >= 1296:
        number, low = divmod(number, 1296)
        text = pairs[low] + text
    return (pairs[number] if number >= 36 else _BASE36[number]) + text


def _letters(name: str) -> str:
    """The lower-case ASCII letters of ``name`` ("O'Neil" -> "oneil")."""
    return "".join(c for c in name.lower() if c.isascii() and c.isalpha())


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _line_table(lines: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """`_LINE_TABLE_SLOTS` non-empty line sets, each as often as its probability."""
    shares = [_LINE_SHARE.get(line, _OTHER_LINE_SHARE) for line in lines]
    weights: list[tuple[float, tuple[str, ...]]] = []
    for mask in range(1, 1 << len(lines)):
        weight = 1.0
        for bit, share in enumerate(shares):
            weight *= share if mask >> bit & 1 else 1 - share
        weights.append((weight, tuple(line for bit, line in enumerate(lines) if mask >> bit & 1)))
    total = sum(weight for weight, _ in weights)
    exact = [weight / total * _LINE_TABLE_SLOTS for weight, _ in weights]
    counts = [int(x) for x in exact]
    # Largest remainders take the slots rounding left over (ties by order: stable).
    by_remainder = sorted(range(len(exact)), key=lambda k: counts[k] - exact[k])
    for k in by_remainder[: _LINE_TABLE_SLOTS - sum(counts)]:
        counts[k] += 1
    table = tuple(subset for (_, subset), n in zip(weights, counts, strict=True) for _ in range(n))
    assert len(table) == _LINE_TABLE_SLOTS
    return table


def _user_name_of(
    index: int, identity: int, detail: int, first_letters: str, last_letters: str
) -> str:
    """Letters from the names, a digit that marks where the code starts, the index in
    base 36: unique because the letters hold no digit and base 36 is one-to-one."""
    style = identity >> 32 & 3
    if style == 2:
        prefix = first_letters[0] + last_letters
    elif style == 3:
        prefix = last_letters + first_letters[0]
    else:
        prefix = first_letters + last_letters
    return prefix[:_USER_NAME_LETTERS] + _DIGITS[(detail & 0xFF) % 10] + _base36(index)


class Population:
    """Producers 0..`AGENT_UNIQUE_ID_SPACE`-1 made from a seed and the portal's parameters.

    Nothing is stored per producer: ``producer(i)`` recomputes the same producer each
    time. Building a Population calls Faker a few thousand times (tens of ms).
    """

    def __init__(
        self,
        seed: int,
        parameters: Parameters,
        *,
        lines: Sequence[str] = LINES,
    ) -> None:
        """``lines`` is the lines of business to draw from; `business_lines` gives them
        from the loaded directory. Raises ValueError for a policy or list it cannot meet."""
        policy = parameters.password_policy
        if policy.allowed != "letters_and_digits":
            raise ValueError(
                f"password_policy.allowed is {policy.allowed!r}; the population makes "
                "only 'letters_and_digits' passwords"
            )
        if not 2 <= policy.min_length <= policy.max_length:
            raise ValueError(
                f"password_policy lengths {policy.min_length}..{policy.max_length} leave no "
                "room for a letter and a digit; need 2 <= min_length <= max_length"
            )
        if not parameters.states:
            raise ValueError("parameters.states is empty: producers need a state")
        if not lines or len(set(lines)) != len(lines) or len(lines) > 10:
            raise ValueError(f"lines must be 1 to 10 distinct names, got {list(lines)!r}")

        self.seed = seed
        self.parameters = parameters
        self.lines: tuple[str, ...] = tuple(lines)
        self._states = parameters.states
        self._password_policy: PasswordPolicy = policy
        self._line_table = _line_table(self.lines)
        self._first_lines = tuple(self.lines.index(subset[0]) for subset in self._line_table)

        fake = Faker(use_weighting=False)
        fake.seed_instance(derive_seed(seed, _POPULATION_TAG, 0))
        first = _unique(fake.first_name() for _ in range(_FIRST_NAME_DRAWS))
        last = _unique(fake.last_name() for _ in range(_LAST_NAME_DRAWS))
        # The user-name and email codes start at the first digit, so names must be letters.
        self._first_names = tuple((name, _letters(name)) for name in first if _letters(name))
        self._last_names = tuple((name, _letters(name)) for name in last if _letters(name))
        domains = [fake.free_email_domain() for _ in range(_FREE_DOMAIN_DRAWS)]
        domains += (fake.domain_name() for _ in range(_DOMAIN_NAME_DRAWS))
        self._domains = tuple(domain.lower() for domain in domains)

        self._identity_key = derive_seed(seed, _POPULATION_TAG, 1)
        self._password_key = derive_seed(seed, _POPULATION_TAG, 2)
        self._detail_key = derive_seed(seed, _POPULATION_TAG, 3)
        self._sharing_key = derive_seed(seed, _POPULATION_TAG, 4)
        auid = derive_seed(seed, _POPULATION_TAG, 5)
        multiplier = (auid % AGENT_UNIQUE_ID_SPACE) | 1  # odd ...
        if multiplier % 5 == 0:  # ... and not a multiple of 5: coprime to 10**9
            multiplier += 2
        self._auid_multiplier = multiplier
        self._auid_inverse = pow(multiplier, -1, AGENT_UNIQUE_ID_SPACE)
        self._auid_offset = (auid >> 32) % AGENT_UNIQUE_ID_SPACE

    def __repr__(self) -> str:
        return f"Population(seed={self.seed!r})"

    # -- one producer ---------------------------------------------------------------

    def producer(self, index: int) -> Producer:
        """Producer number ``index``; the same for the same seed, in any order or process.

        Raises IndexError outside 0..`AGENT_UNIQUE_ID_SPACE`-1.
        """
        if not 0 <= index < AGENT_UNIQUE_ID_SPACE:
            raise IndexError(
                f"producer index {index} is outside 0..{AGENT_UNIQUE_ID_SPACE - 1} "
                "(Agent Unique IDs have nine digits)"
            )
        return self._make(index)

    def _make(self, index: int) -> Producer:
        # The hot path: a million producers at ~8 µs each, so two hashes and table look-ups.
        step = index * _GOLDEN
        identity = _mix((self._identity_key + step) & _MASK64)
        detail = _mix((self._detail_key + step) & _MASK64)
        first_name, first_letters = self._first_names[(identity & 0xFFFF) % len(self._first_names)]
        last_name, last_letters = self._last_names[
            (identity >> 16 & 0xFFFF) % len(self._last_names)
        ]

        user_name = _user_name_of(index, identity, detail, first_letters, last_letters)
        cell_start = index - index % SHARING_CELL
        size = self._group_size(cell_start)
        if index - cell_start < size and index != cell_start:
            email = self._email(cell_start)
        else:
            email = self._email_of(index, identity, detail, first_letters, last_letters)

        auid = (self._auid_multiplier * index + self._auid_offset) % AGENT_UNIQUE_ID_SPACE
        return Producer(
            index,
            first_name,
            last_name,
            user_name,
            f"{auid:09d}",
            email,
            self._states[(identity >> 43 & 0xFF) % len(self._states)],
            (identity >> 36 & 0x7F) < _STATE_FARM_PER_128,
            self._line_table[detail >> 8 & (_LINE_TABLE_SLOTS - 1)],
            self._password(index),
        )

    def _user_name(self, index: int) -> str:
        """Producer ``index``'s user name alone (what `_make` gives, for less)."""
        step = index * _GOLDEN
        identity = _mix((self._identity_key + step) & _MASK64)
        detail = _mix((self._detail_key + step) & _MASK64)
        first_letters = self._first_names[(identity & 0xFFFF) % len(self._first_names)][1]
        last_letters = self._last_names[(identity >> 16 & 0xFFFF) % len(self._last_names)][1]
        return _user_name_of(index, identity, detail, first_letters, last_letters)

    def _email(self, leader: int) -> str:
        """The address of the group that ``leader`` (its first index) heads."""
        step = leader * _GOLDEN
        identity = _mix((self._identity_key + step) & _MASK64)
        detail = _mix((self._detail_key + step) & _MASK64)
        first_letters = self._first_names[(identity & 0xFFFF) % len(self._first_names)][1]
        last_letters = self._last_names[(identity >> 16 & 0xFFFF) % len(self._last_names)][1]
        return self._email_of(leader, identity, detail, first_letters, last_letters)

    def _email_of(
        self, leader: int, identity: int, detail: int, first_letters: str, last_letters: str
    ) -> str:
        style = identity >> 34 & 3
        if style == 0:
            local = f"{first_letters}.{last_letters}"
        elif style == 1:
            local = first_letters + last_letters
        elif style == 2:
            local = first_letters[0] + last_letters
        else:
            local = f"{last_letters}.{first_letters}"
        domain = self._domains[(detail >> 18 & 0xFFFF) % len(self._domains)]
        return f"{local}{_DIGITS[(detail >> 34 & 0xFF) % 10]}{_base36(leader)}@{domain}"

    def _password(self, index: int) -> str:
        policy = self._password_policy
        step = index * _GOLDEN
        # 128 bits: enough for the layout and nine characters; longer policies draw more.
        high = _mix((self._password_key + step) & _MASK64)
        low = _mix(((self._password_key ^ _MASK64) + step) & _MASK64)
        bits = high << 64 | low
        spread = policy.max_length - policy.min_length + 1
        bits, extra = divmod(bits, spread)
        length = policy.min_length + extra
        bits, digit_at = divmod(bits, length)
        bits, letter_after = divmod(bits, length - 1)
        letter_at = (digit_at + 1 + letter_after) % length
        chars = []
        for position in range(length):
            if bits < 1 << 16:  # running out of bits: draw 64 more
                bits = bits << 64 | _mix((bits + step + position) & _MASK64)
            if position == digit_at:
                bits, pick = divmod(bits, 10)
                chars.append(_DIGITS[pick])
            elif position == letter_at:
                bits, pick = divmod(bits, 52)
                chars.append(_LETTERS[pick])
            else:
                bits, pick = divmod(bits, 62)
                chars.append(_ALPHANUMERIC[pick])
        return "".join(chars)

    # -- many producers -------------------------------------------------------------

    def producers(self, start: int, stop: int) -> Iterator[Producer]:
        """Producers ``start`` .. ``stop``-1 in index order, made lazily."""
        if not 0 <= start <= stop <= AGENT_UNIQUE_ID_SPACE:
            raise IndexError(
                f"range {start}..{stop} is not within 0..{AGENT_UNIQUE_ID_SPACE} "
                "(start <= stop; Agent Unique IDs have nine digits)"
            )
        return map(self._make, range(start, stop))

    def make(self, n: int) -> list[Producer]:
        """Producers 0 .. ``n``-1."""
        return list(self.producers(0, n))

    @staticmethod
    def shard_range(shard: int, count: int, size: int) -> range:
        """The indices of shard ``shard`` of ``count`` splitting producers 0..``size``-1.

        Shards are contiguous, in order, and cover 0..``size``-1 exactly. Inner
        boundaries fall on multiples of `SHARING_CELL`, so every shared address lies
        within one shard. Raises ValueError for a shard outside 0..count-1.
        """
        if count < 1 or not 0 <= shard < count:
            raise ValueError(f"shard must be in 0..count-1 with count >= 1, got {shard} of {count}")
        if not 0 <= size <= AGENT_UNIQUE_ID_SPACE:
            raise ValueError(f"size must be in 0..{AGENT_UNIQUE_ID_SPACE}, got {size}")

        def boundary(k: int) -> int:
            if k == count:
                return size
            at = k * size // count
            return at - at % SHARING_CELL

        return range(boundary(shard), boundary(shard + 1))

    def shard(self, shard: int, count: int, size: int) -> list[Producer]:
        """The producers of `shard_range` (shard ``shard`` of ``count`` over ``size``)."""
        indices = self.shard_range(shard, count, size)
        return list(map(self._make, indices))

    @property
    def line_sets(self) -> tuple[tuple[str, ...], ...]:
        """The table the producers' lines of business are drawn from (`ProducerColumns.lines`
        indexes it)."""
        return self._line_table

    def columns(self, indices: Any) -> ProducerColumns:
        """State, State Farm and lines of business of the producers at ``indices`` (an
        integer array or range), computed together with numpy: equal, field for field,
        to `producer` (a test checks). Raises IndexError outside
        0..`AGENT_UNIQUE_ID_SPACE`-1."""
        import numpy as np

        index = np.asarray(indices, dtype=np.int64).reshape(-1)
        if index.size and (int(index.min()) < 0 or int(index.max()) >= AGENT_UNIQUE_ID_SPACE):
            raise IndexError(f"producer indices must be within 0..{AGENT_UNIQUE_ID_SPACE - 1}")
        step = index.astype(np.uint64) * np.uint64(_GOLDEN)
        identity = _mix_array(np.uint64(self._identity_key) + step)
        detail = _mix_array(np.uint64(self._detail_key) + step)
        states = np.uint64(len(self._states))
        state = ((identity >> np.uint64(43)) & np.uint64(0xFF)) % states
        state_farm = ((identity >> np.uint64(36)) & np.uint64(0x7F)) < np.uint64(
            _STATE_FARM_PER_128
        )
        slot = (detail >> np.uint64(8)) & np.uint64(_LINE_TABLE_SLOTS - 1)
        first_line = np.array(self._first_lines, dtype=np.int8)
        return ProducerColumns(
            index=index,
            home_state=state.astype(np.int8),
            state_farm=state_farm,
            lines=slot.astype(np.int16),
            primary_line=first_line[slot.astype(np.intp)],
        )

    # -- shared addresses and look-ups ----------------------------------------------

    def _group_size(self, cell_start: int) -> int:
        draw = _mix((self._sharing_key + cell_start * _GOLDEN) & _MASK64) % 100
        if draw < _TRIO_PER_100:
            return 3
        return 2 if draw < _PAIR_OR_TRIO_PER_100 else 1

    def email_group(self, index: int, limit: int | None = None) -> range:
        """The indices whose producers have the same email address as ``index``
        (``index`` included), only those below ``limit`` if given."""
        if not 0 <= index < AGENT_UNIQUE_ID_SPACE:
            raise IndexError(f"producer index {index} is outside 0..{AGENT_UNIQUE_ID_SPACE - 1}")
        cell_start = index - index % SHARING_CELL
        size = self._group_size(cell_start)
        group = (
            range(cell_start, cell_start + size)
            if index - cell_start < size
            else range(index, index + 1)
        )
        return (
            group if limit is None else range(group.start, min(group.stop, max(limit, group.start)))
        )

    def sharing(self, email: str, limit: int | None = None) -> tuple[int, ...]:
        """The indices of every producer whose address is ``email`` (exactly as made:
        lower case), only those below ``limit`` (the population's size) if given;
        empty when no producer has it. Makes no other producer."""
        local, at, _domain = email.rpartition("@")
        if not at:
            return ()
        code_at = next((k for k, c in enumerate(local) if c.isdigit()), None)
        if code_at is None or len(local) - code_at < 2:
            return ()
        code = local[code_at + 1 :]
        if len(code) > _CODE_LENGTH or not code.isascii() or not code.isalnum():
            return ()
        leader = int(code, 36)
        if leader >= AGENT_UNIQUE_ID_SPACE or self._email(leader) != email:
            return ()
        group = self.email_group(leader, limit)
        return tuple(group) if group.start == leader else ()

    def user_names_for(self, email: str, limit: int | None = None) -> tuple[str, ...]:
        """Every user name linked to ``email``, in index order (USER-6's email lists
        them), only of producers below ``limit`` if given."""
        return tuple(self._user_name(index) for index in self.sharing(email, limit))

    def by_user_name(self, user_name: str, limit: int | None = None) -> Producer | None:
        """The producer with ``user_name`` (below ``limit`` if given), or None."""
        code_at = next((k for k, c in enumerate(user_name) if c.isdigit()), None)
        if code_at is None or len(user_name) - code_at < 2:
            return None
        code = user_name[code_at + 1 :]
        if len(code) > _CODE_LENGTH or not code.isascii() or not code.isalnum():
            return None
        index = int(code, 36)
        if index >= AGENT_UNIQUE_ID_SPACE or (limit is not None and index >= limit):
            return None
        producer = self._make(index)
        return producer if producer.user_name == user_name else None

    def by_agent_unique_id(self, agent_unique_id: str, limit: int | None = None) -> Producer | None:
        """The producer with this nine-digit Agent Unique ID (below ``limit``), or None."""
        if (
            len(agent_unique_id) != 9
            or not agent_unique_id.isascii()
            or not agent_unique_id.isdigit()
        ):
            return None
        auid = int(agent_unique_id)
        index = (auid - self._auid_offset) * self._auid_inverse % AGENT_UNIQUE_ID_SPACE
        if limit is not None and index >= limit:
            return None
        return self._make(index)
