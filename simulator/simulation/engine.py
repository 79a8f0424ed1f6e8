"""The compiled simulation: one shard of producers on simulated time, with numpy.

One clock and one event queue: the queue is a calendar of time buckets
(``bucket_seconds`` wide) and the clock moves from one bucket to the next. Within
a bucket, events are taken in (time, kind) order per account; an account's events
are applied one at a time (a wave takes at most one event per account), and the
events of different accounts, which share no state, are applied together, vectorised.
Ties are broken by kind (a delivered email before a producer's action before an
attacker's attempt), so the result is that of a sequential run in (time, kind) order.
Email deliveries are events too: those still in the queue at the end are counted
as queued.

Each account's login and lock-out behaviour is the table compiled from the flows
(:mod:`simulator.simulation.table`); each producer's behaviour is the scenario's,
with draws from :mod:`simulator.simulation.draws` (so the reference on the real
machines makes the very same choices). No wall-clock time is read here.

One concern, the event loop of one shard: one handler per producer action, each
vectorised over a wave; splitting them would scatter one loop over several files.
"""

from __future__ import annotations

import itertools

import numpy as np

from simulator.population import Population
from simulator.simulation import results as r
from simulator.simulation.draws import (
    choose_array,
    draw_array,
    producer_base_array,
    step_draw_array,
    uniform_array,
)
from simulator.simulation.plan import Plan
from simulator.simulation.results import METRICS, ShardResult
from simulator.simulation.table import (
    AUTO_UNLOCK_DUE,
    CURRENT_PASSWORD,
    EVENTS,
    FAILED,
    LOCKED_NOW,
    PASSWORD_CHANGED,
    REFUSED_LOCKED,
    SIGNED_IN,
    SIGNED_IN_TEMPORARY,
    TEMPORARY_PASSWORD,
    WRONG_PASSWORD,
    CompiledTable,
)

__all__ = ["DEFAULT_BUCKET_SECONDS", "NEVER", "run_shard"]

DEFAULT_BUCKET_SECONDS = 3600
"""The calendar's bucket width: a speed setting only (results do not depend on it)."""
NEVER = np.int64(1 << 60)
_USERNAME_MAIL = 0
_RESET_MAIL = 1
_REACT_RESET, _REACT_RECOVER, _REACT_CALL, _REACT_GIVE_UP = range(4)
_KIND_SHIFT = 16
_WHO_SHIFT = 24
_KINDS = 12
_M = {name: i for i, name in enumerate(METRICS)}


class _Draws:
    """The draws of a run of events, slot by slot, each computed when first used."""

    def __init__(self, base: np.ndarray, steps: np.ndarray) -> None:
        self.base = base
        self.steps = steps
        self.slots: dict[int, np.ndarray] = {}

    def __getitem__(self, slot: int) -> np.ndarray:
        values = self.slots.get(slot)
        if values is None:
            values = self.slots[slot] = step_draw_array(self.base, self.steps, slot)
        return values


class _Engine:
    """One shard's state (per-producer arrays), its calendar queue and its handlers."""

    def __init__(
        self,
        plan: Plan,
        table: CompiledTable,
        population: Population,
        start: int,
        stop: int,
        bucket_seconds: int,
    ) -> None:
        if stop - start >= 1 << 28:
            raise ValueError("a shard may hold at most 2**28 - 1 producers")
        self.plan = plan
        self.table = table
        self.population = population
        self.start = start
        self.n = n = stop - start
        self.width = max(1, min(bucket_seconds, 1 << 20))
        self.buckets = -(-plan.end // self.width)
        self.slots: list[list[tuple[np.ndarray, np.ndarray]] | None] = [
            [] for _ in range(self.buckets)
        ]
        self.after_end: list[tuple[np.ndarray, np.ndarray]] = []
        self.ids = np.arange(start, stop, dtype=np.int64)
        self.base = producer_base_array(plan.step_key, self.ids)

        self.acct = np.full(n, table.initial, dtype=np.int16)
        self.locked_at = np.full(n, -1, dtype=np.int64)
        self.step = np.zeros(n, dtype=np.int64)
        self.known = np.full(n, not plan.forced_reset, dtype=bool)
        self.forgot_password = np.zeros(n, dtype=bool)
        self.use_temporary = np.zeros(n, dtype=bool)
        self.temporary_at = np.full(n, -1, dtype=np.int64)
        self.mail_kind = np.zeros(n, dtype=np.int8)
        self.mail_at = np.full(n, -1, dtype=np.int64)
        self.mail_spam = np.zeros(n, dtype=bool)
        self.after_mail = np.full(n, r.LOGIN, dtype=np.int8)
        self.repeat = np.full(n, r.RESET_REQUEST, dtype=np.int8)
        self.calls = np.zeros(n, dtype=np.int16)
        self.give_ups = np.zeros(n, dtype=np.int16)
        self.mark = np.zeros(n, dtype=np.int64)

        self.counts = dict.fromkeys(r.COUNTERS, 0)
        self.events = np.zeros(_KINDS, dtype=np.int64)
        self.series: list[list[np.ndarray]] = [[] for _ in METRICS]
        self.durations: list[np.ndarray] = []
        self.call_log: list[tuple[int, np.ndarray]] = []
        self.out_t: list[np.ndarray] = []
        self.out_c: list[np.ndarray] = []

        self.hour_cumulative = np.array(plan.hour_cumulative, dtype=np.uint64)
        self.react_cumulative = np.array(plan.react_cumulative, dtype=np.uint64)
        self.react_fallback = (
            None
            if plan.react_cumulative_no_give_up is None
            else np.array(plan.react_cumulative_no_give_up, dtype=np.uint64)
        )
        self.delays = np.array(plan.delivery_delays, dtype=np.int64)
        self.events_per_state = len(EVENTS)

    # -- the queue ------------------------------------------------------------------------

    def emit(self, t: np.ndarray, who: np.ndarray, kind: int, aux: np.ndarray | int = 0) -> None:
        if t.size:
            self.out_t.append(t)
            self.out_c.append((who << _WHO_SHIFT) | (kind << _KIND_SHIFT) | aux)

    def push(self, t: np.ndarray, code: np.ndarray) -> None:
        if not t.size:
            return
        late = t >= self.plan.end
        if late.any():
            self.after_end.append((t[late], code[late]))
            keep = ~late
            t, code = t[keep], code[keep]
            if not t.size:
                return
        bucket = t // self.width
        low, high = int(bucket.min()), int(bucket.max())
        if low == high:
            slot = self.slots[low]
            assert slot is not None, "an event was scheduled in the past"
            slot.append((t, code))
            return
        order = np.argsort(bucket, kind="stable")
        bucket, t, code = bucket[order], t[order], code[order]
        cuts = np.flatnonzero(bucket[1:] != bucket[:-1]) + 1
        edges = [0, *cuts.tolist(), len(t)]
        for a, b in itertools.pairwise(edges):
            slot = self.slots[int(bucket[a])]
            assert slot is not None, "an event was scheduled in the past"
            slot.append((t[a:b], code[a:b]))

    def take_output(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.out_t:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        t = np.concatenate(self.out_t) if len(self.out_t) > 1 else self.out_t[0]
        c = np.concatenate(self.out_c) if len(self.out_c) > 1 else self.out_c[0]
        self.out_t, self.out_c = [], []
        return t, c

    # -- set-up ---------------------------------------------------------------------------

    def schedule_visits(self) -> None:
        plan = self.plan
        self.visit_times = np.full((plan.days, self.n), NEVER, dtype=np.int64)
        for day in range(plan.days):
            visits = draw_array(plan.visit_key, self.ids, day, 0) < plan.visit_threshold
            hour = choose_array(draw_array(plan.visit_key, self.ids, day, 1), self.hour_cumulative)
            second = uniform_array(draw_array(plan.visit_key, self.ids, day, 2), 0, 3599)
            t = day * 86_400 + hour.astype(np.int64) * 3600 + second
            self.visit_times[day] = np.where(visits & (t < plan.end), t, NEVER)
        first = self.visit_times.min(axis=0)
        who = np.flatnonzero(first < NEVER)
        self.emit(first[who], who, r.ARRIVE)
        if plan.attack:
            targets = draw_array(plan.attack_key, self.ids, 0, 0) < plan.attack_target_threshold
            who = np.flatnonzero(targets)
            self.counts["attack_targets"] = len(who)
            offset = uniform_array(
                draw_array(plan.attack_key, self.ids[who], 0, 1), 0, plan.attack_window - 1
            )
            for attempt in range(plan.attack_attempts):
                t = plan.attack_start + offset + attempt * plan.attack_spacing
                inside = t < plan.end
                self.emit(t[inside], who[inside], r.ATTACK, attempt)
        self.push(*self.take_output())

    # -- the clock ------------------------------------------------------------------------

    def run(self) -> ShardResult:
        self.schedule_visits()
        width = self.width
        for bucket in range(self.buckets):
            chunks = self.slots[bucket]
            self.slots[bucket] = None
            if not chunks:
                continue
            t = np.concatenate([c[0] for c in chunks]) if len(chunks) > 1 else chunks[0][0]
            c = np.concatenate([c[1] for c in chunks]) if len(chunks) > 1 else chunks[0][1]
            opens, closes = bucket * width, min((bucket + 1) * width, self.plan.end)
            while t.size:
                kind = (c >> _KIND_SHIFT) & 0xFF
                delivered = kind == r.DELIVER
                if delivered.any():
                    self.deliver(t[delivered], c[delivered])
                    keep = ~delivered
                    t, c, kind = t[keep], c[keep], kind[keep]
                    if not t.size:
                        break
                who = c >> _WHO_SHIFT
                order = np.arange(len(t))
                self.mark[who] = order
                if np.array_equal(self.mark[who], order):
                    self.wave(t, c)
                    t, c = t[:0], c[:0]
                else:
                    key = (who << 26) | ((t - opens) << 4) | kind
                    order = np.argsort(key)
                    sorted_who = who[order]
                    first = np.empty(len(order), dtype=bool)
                    first[0] = True
                    np.not_equal(sorted_who[1:], sorted_who[:-1], out=first[1:])
                    now = order[first]
                    later = order[~first]
                    self.wave(t[now], c[now])
                    t, c = t[later], c[later]
                new_t, new_c = self.take_output()
                if new_t.size:
                    inside = new_t < closes
                    if inside.all():
                        t, c = np.concatenate((t, new_t)), np.concatenate((c, new_c))
                    else:
                        self.push(new_t[~inside], new_c[~inside])
                        t = np.concatenate((t, new_t[inside]))
                        c = np.concatenate((c, new_c[inside]))
        return self.finish()

    def wave(self, t: np.ndarray, c: np.ndarray) -> None:
        """Apply events of distinct accounts (any order gives the same result)."""
        kind = (c >> _KIND_SHIFT) & 0xFF
        order = np.argsort(kind, kind="stable")
        kind, t, c = kind[order], t[order], c[order]
        who = c >> _WHO_SHIFT
        aux = c & 0xFFFF
        edges = np.searchsorted(kind, np.arange(_KINDS + 1))
        self.events += np.diff(edges)
        process = int(edges[r.ATTACK])
        base = steps = who[:0]
        if process:
            pw = who[:process]
            base = self.base[pw]
            steps = self.step[pw]
            self.step[pw] = steps + 1
        handlers = (
            (r.ARRIVE, self.arrive),
            (r.LOGIN, self.log_in),
            (r.REACT, self.react),
            (r.USERNAME_REQUEST, self.request_user_name),
            (r.RESET_REQUEST, self.request_reset),
            (r.CHECK_INBOX, self.check_inbox),
            (r.CHECK_SPAM, self.check_spam),
            (r.CALL, self.call),
            (r.CHANGE_PASSWORD, self.change_password),
        )
        for k, handler in handlers:
            a, b = int(edges[k]), int(edges[k + 1])
            if a < b:
                handler(t[a:b], who[a:b], aux[a:b], _Draws(base[a:b], steps[a:b]))
        a, b = int(edges[r.ATTACK]), int(edges[r.ATTACK + 1])
        if a < b:
            self.attack(t[a:b], who[a:b])

    # -- bookkeeping ----------------------------------------------------------------------

    def count(self, name: str, amount: int | np.integer) -> None:
        self.counts[name] += int(amount)

    def record(self, metric: str, t: np.ndarray) -> None:
        if t.size:
            self.series[_M[metric]].append(t)

    def uniform(self, draws: np.ndarray, span: tuple[int, int]) -> np.ndarray:
        return uniform_array(draws, span[0], span[1])

    def apply(self, t: np.ndarray, w: np.ndarray, event: np.ndarray | int) -> np.ndarray:
        """Step the compiled table for accounts ``w``; the outcome kinds."""
        table = self.table
        cell = self.acct[w] * self.events_per_state + event
        outcome = table.outcome[cell]
        self.acct[w] = table.next_state[cell]
        locks = table.locks[outcome]
        if locks.any():
            self.locked_at[w[locks]] = t[locks]
            self.record("lockouts", t[locks])
        unlocks = table.unlocks[outcome]
        if unlocks.any():
            uw = w[unlocks]
            self.durations.append(t[unlocks] - self.locked_at[uw])
            self.locked_at[uw] = -1
            self.record("unlocks", t[unlocks])
            self.count(
                "unlocks_by_auto_unlock"
                if isinstance(event, int) and event == AUTO_UNLOCK_DUE
                else "unlocks_by_reset",
                len(uw),
            )
        return table.kind[outcome]  # type: ignore[no-any-return]

    def auto_unlock(self, t: np.ndarray, w: np.ndarray) -> None:
        after = self.plan.auto_unlock_after
        if after < 0:
            return
        due = self.table.locked[self.acct[w]] & (t >= self.locked_at[w] + after)
        if due.any():
            self.apply(t[due], w[due], AUTO_UNLOCK_DUE)

    def end_visit(self, t: np.ndarray, w: np.ndarray, signed_in: bool) -> None:
        self.count("visits_signed_in" if signed_in else "visits_stopped", len(w))
        following = np.full(len(w), NEVER, dtype=np.int64)
        for day in range(self.plan.days):
            candidate = self.visit_times[day, w]
            take = (following == NEVER) & (candidate > t) & (candidate < NEVER)
            following[take] = candidate[take]
        again = following < NEVER
        self.emit(following[again], w[again], r.ARRIVE)

    def send(self, t: np.ndarray, w: np.ndarray, mail: int, d: _Draws) -> None:
        plan = self.plan
        name = r.MAIL_KINDS[mail]
        lost = d[0] < plan.loss_threshold
        spam = d[1] < plan.spam_threshold
        at = t + self.delays[(d[2] >> np.uint64(22)).astype(np.intp)]
        self.count(f"emails_sent_{name}", len(w))
        self.record("username_emails" if mail == _USERNAME_MAIL else "password_reset_emails", t)
        self.count(f"emails_lost_{name}", np.count_nonzero(lost))
        self.record("emails_lost", t[lost])
        self.mail_kind[w] = mail
        self.mail_at[w] = np.where(lost, -1, at)
        self.mail_spam[w] = spam
        arrives = ~lost
        self.emit(at[arrives], w[arrives], r.DELIVER, mail * 2 + spam[arrives].astype(np.int64))
        self.emit(t + self.uniform(d[3], plan.inbox_check), w, r.CHECK_INBOX)

    def read(self, t: np.ndarray, w: np.ndarray, d0: np.ndarray) -> None:
        later = t + self.uniform(d0, self.plan.read_email)
        reset = self.mail_kind[w] == _RESET_MAIL
        self.use_temporary[w[reset]] = True
        self.emit(later[reset], w[reset], r.LOGIN)
        user = ~reset
        uw = w[user]
        then = self.after_mail[uw].astype(np.int64)
        for kind in (r.LOGIN, r.RESET_REQUEST):
            pick = then == kind
            self.emit(later[user][pick], uw[pick], kind)

    # -- what producers, attackers and the mail do ----------------------------------------

    def deliver(self, t: np.ndarray, c: np.ndarray) -> None:
        self.events[r.DELIVER] += len(t)
        aux = c & 0xFFFF
        spam = (aux & 1).astype(bool)
        mail = aux >> 1
        for kind, name in enumerate(r.MAIL_KINDS):
            of_kind = mail == kind
            self.count(f"emails_spam_{name}", np.count_nonzero(of_kind & spam))
            self.count(f"emails_inbox_{name}", np.count_nonzero(of_kind & ~spam))
        self.record("emails_to_spam", t[spam])
        self.record("emails_to_inbox", t[~spam])

    def arrive(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        plan = self.plan
        self.count("visits", len(w))
        self.record("arrivals", t)
        self.give_ups[w] = 0
        self.use_temporary[w] = False
        self.forgot_password[w] = d[1] < plan.forgot_password_threshold
        proactive = (
            ~self.known[w] & (d[2] < plan.proactive_reset_threshold)
            if plan.forced_reset
            else np.zeros(len(w), dtype=bool)
        )
        forgot_user_name = d[0] < plan.forgot_user_name_threshold
        self.after_mail[w] = np.where(proactive, r.RESET_REQUEST, r.LOGIN)
        then = t + self.uniform(d[3], plan.form)
        self.emit(then[forgot_user_name], w[forgot_user_name], r.USERNAME_REQUEST)
        rest = ~forgot_user_name
        self.emit(then[rest & proactive], w[rest & proactive], r.RESET_REQUEST)
        self.emit(then[rest & ~proactive], w[rest & ~proactive], r.LOGIN)

    def log_in(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        plan = self.plan
        temporary = self.use_temporary[w]
        valid = temporary & (t < self.temporary_at[w] + plan.temporary_password_lifetime)
        current = (
            ~temporary & self.known[w] & ~self.forgot_password[w] & (d[0] >= plan.mistype_threshold)
        )
        event = np.where(
            valid, TEMPORARY_PASSWORD, np.where(current, CURRENT_PASSWORD, WRONG_PASSWORD)
        )
        self.auto_unlock(t, w)
        kind = self.apply(t, w, event)
        self.use_temporary[w] = False
        self.count("login_attempts", len(w))
        self.record("login_attempts", t)
        signed = kind == SIGNED_IN
        with_temporary = kind == SIGNED_IN_TEMPORARY
        failed = kind == FAILED
        locked_now = kind == LOCKED_NOW
        refused = kind == REFUSED_LOCKED
        succeeded = signed | with_temporary
        self.count("logins_succeeded", np.count_nonzero(succeeded))
        self.record("logins_succeeded", t[succeeded])
        self.count("logins_with_temporary_password", np.count_nonzero(with_temporary))
        counted = failed | locked_now
        self.count("login_failures", np.count_nonzero(counted))
        self.record("login_failures", t[counted])
        self.count("logins_refused_locked", np.count_nonzero(refused))
        self.count("lockouts_by_producer", np.count_nonzero(locked_now))
        self.end_visit(t[signed], w[signed], True)
        self.emit(
            t[with_temporary] + self.uniform(d[1][with_temporary], plan.change_password),
            w[with_temporary],
            r.CHANGE_PASSWORD,
        )
        again = failed & ~temporary
        self.emit(t[again] + self.uniform(d[1][again], plan.retry), w[again], r.LOGIN)
        rerequest = failed & temporary
        self.emit(
            t[rerequest] + self.uniform(d[1][rerequest], plan.form), w[rerequest], r.RESET_REQUEST
        )
        react = locked_now | refused
        self.emit(t[react] + self.uniform(d[1][react], plan.retry), w[react], r.REACT)

    def react(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        plan = self.plan
        allowed = self.give_ups[w] < plan.give_up_at_most
        choice = choose_array(d[0], self.react_cumulative)
        blocked = ~allowed & (choice == _REACT_GIVE_UP)
        if blocked.any():
            if self.react_fallback is None:
                self.end_visit(t[blocked], w[blocked], False)
                choice[blocked] = -1
            else:
                choice[blocked] = choose_array(d[0][blocked], self.react_fallback)
        then = t + self.uniform(d[1], plan.form)
        reset = choice == _REACT_RESET
        recover = choice == _REACT_RECOVER
        call = choice == _REACT_CALL
        can_call = call & (self.calls[w] < plan.max_calls)
        self.after_mail[w[recover]] = r.RESET_REQUEST
        self.emit(then[recover], w[recover], r.USERNAME_REQUEST)
        direct = reset | (call & ~can_call)
        self.emit(then[direct], w[direct], r.RESET_REQUEST)
        self.repeat[w[can_call]] = r.RESET_REQUEST
        self.emit(then[can_call], w[can_call], r.CALL, 0)
        give_up = choice == _REACT_GIVE_UP
        gw = w[give_up]
        self.give_ups[gw] += 1
        self.count("gave_up_for_now", len(gw))
        self.emit(t[give_up] + self.uniform(d[1][give_up], plan.come_back), gw, r.LOGIN)

    def request_user_name(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        self.count("username_recoveries", len(w))
        self.send(t, w, _USERNAME_MAIL, d)

    def request_reset(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        self.count("resets_requested", len(w))
        self.temporary_at[w] = t
        self.use_temporary[w] = False
        self.send(t, w, _RESET_MAIL, d)

    def check_inbox(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        at = self.mail_at[w]
        found = (at >= 0) & ~self.mail_spam[w] & (at <= t)
        self.read(t[found], w[found], d[0][found])
        missing = ~found
        self.emit(
            t[missing] + self.uniform(d[0][missing], self.plan.spam_check), w[missing], r.CHECK_SPAM
        )

    def check_spam(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        at = self.mail_at[w]
        found = (at >= 0) & (at <= t)
        self.count("emails_found_in_spam", np.count_nonzero(found & self.mail_spam[w]))
        self.read(t[found], w[found], d[0][found])
        missing = ~found
        final = aux == 1
        can_call = missing & ~final & (self.calls[w] < self.plan.max_calls)
        cw = w[can_call]
        self.repeat[cw] = np.where(
            self.mail_kind[cw] == _RESET_MAIL, r.RESET_REQUEST, r.USERNAME_REQUEST
        )
        self.emit(t[can_call] + self.uniform(d[0][can_call], self.plan.form), cw, r.CALL, 1)
        # Out of calls: one last look when they come back later, then they stop.
        later = missing & ~final & ~can_call
        self.emit(
            t[later] + self.uniform(d[0][later], self.plan.come_back), w[later], r.CHECK_SPAM, 1
        )
        stop = missing & final
        self.end_visit(t[stop], w[stop], False)

    def call(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        self.calls[w] += 1
        self.record("calls", t)
        columns = self.population.columns(w + self.start)
        category = (columns.home_state.astype(np.int64) * 2 + columns.state_farm) * len(
            self.plan.lines
        ) + columns.primary_line
        for reason, name in enumerate(r.CALL_REASONS):
            pick = aux == reason
            self.count(f"calls_{name}", np.count_nonzero(pick))
            self.call_log.append((reason, category[pick]))
        later = t + self.uniform(d[0], self.plan.call)
        then = self.repeat[w].astype(np.int64)
        for kind in (r.USERNAME_REQUEST, r.RESET_REQUEST):
            pick = then == kind
            self.emit(later[pick], w[pick], kind)

    def change_password(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        issued = self.temporary_at[w]
        ok = (issued >= 0) & (t < issued + self.plan.temporary_password_lifetime)
        ow = w[ok]
        self.apply(t[ok], ow, PASSWORD_CHANGED)  # Update Password completes the reset
        self.count("passwords_changed", len(ow))
        self.count("password_changes_refused", len(w) - len(ow))
        self.known[ow] = True
        self.forgot_password[ow] = False
        self.temporary_at[ow] = -1
        self.end_visit(t, w, True)

    def attack(self, t: np.ndarray, w: np.ndarray) -> None:
        self.auto_unlock(t, w)
        kind = self.apply(t, w, WRONG_PASSWORD)
        self.count("attack_attempts", len(w))
        self.record("attack_attempts", t)
        self.count("lockouts_by_attack", np.count_nonzero(kind == LOCKED_NOW))

    # -- the end --------------------------------------------------------------------------

    def finish(self) -> ShardResult:
        plan = self.plan
        result = ShardResult.empty(
            self.start, self.start + self.n, plan.minutes, len(plan.call_numbers)
        )
        counts = self.counts
        for _, code in self.after_end:
            kind = (code >> _KIND_SHIFT) & 0xFF
            mail = (code & 0xFFFF) >> 1
            delivering = kind == r.DELIVER
            for k, name in enumerate(r.MAIL_KINDS):
                counts[f"emails_queued_{name}"] += int(np.count_nonzero(delivering & (mail == k)))
            counts["visits_in_progress"] += int(
                np.count_nonzero((kind != r.DELIVER) & (kind != r.ATTACK))
            )
        locked = self.table.locked[self.acct]
        counts["accounts_still_locked"] = int(np.count_nonzero(locked))
        for event_kind, name in r.EVENT_KINDS.items():
            counts[f"events_{name}"] = int(self.events[event_kind])
        result.counters = counts
        for i, chunks in enumerate(self.series):
            if chunks:
                minute = np.concatenate(chunks) // 60
                result.timeline[i] = np.bincount(minute, minlength=plan.minutes)
        for reason, category in self.call_log:
            if category.size:
                result.calls[reason] += np.bincount(category, minlength=len(plan.call_numbers))
        result.lock_durations = np.sort(
            np.concatenate(self.durations) if self.durations else np.zeros(0, dtype=np.int64)
        )
        result.still_locked_since = np.sort(self.locked_at[locked])
        return result


def run_shard(
    plan: Plan,
    table: CompiledTable,
    population: Population,
    start: int,
    stop: int,
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
) -> ShardResult:
    """Simulate producers ``start``..``stop``-1 of ``plan`` on the compiled ``table``.

    The result depends only on the plan, the table and the producers' indices: not
    on the shard's bounds, nor on ``bucket_seconds`` (a speed setting).
    """
    return _Engine(plan, table, population, start, stop, bucket_seconds).run()
