"""The compiled simulation: one shard of producers on simulated time, with numpy.

Accounts share no state, so there is no global clock: each account has its own
timeline, and what happens to one account depends only on its own events in
(time, kind) order. Every account holds at most three pending events: the next step
of its producer's visit (one at a time: each step schedules the next), its next
planned visit, and the attacker's next attempt. A wave takes the earliest pending
event of every account that has one before the period's end, whatever its time,
and applies them together, vectorised: a wave is as wide as the number of accounts
still busy, so small populations and long periods batch across time instead of
paying a wave per instant. Ties are broken by kind (a producer's visit before the
next step of a visit, before an attacker's attempt), as in a sequential run in
(time, kind) order. A visit planned while the producer is still busy with the last
one (up to and including that instant) is skipped. Email deliveries depend on no
account state: they are counted when sent, as delivered at their time or, after the
period's end, as queued. Memory is a few arrays per account, whatever the number of
events (the timeline is added up as it goes).

Each account's login and lock-out behaviour is the table compiled from the flows
(:mod:`simulator.simulation.table`); each producer's behaviour is the scenario's,
with draws from :mod:`simulator.simulation.draws` (so the reference on the real
machines makes the very same choices). No wall-clock time is read here.

One concern, the event loop of one shard: one handler per producer action, each
vectorised over a wave; splitting them would scatter one loop over several files.
"""

from __future__ import annotations

import numpy as np

from simulator.population import Population
from simulator.simulation import results as r
from simulator.simulation.draws import (
    base_draw_array,
    choose_array,
    draw_array,
    producer_base_array,
    slot_draw_array,
    step_draw_array,
    step_origin_array,
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
    NOTHING,
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
"""Kept for callers: the engine no longer has a calendar of buckets (ignored)."""
NEVER = np.int64(1 << 58)
"""A pending event's key (time << 4 | kind) when there is none."""
_USERNAME_MAIL = 0
_RESET_MAIL = 1
_REACT_RESET, _REACT_RECOVER, _REACT_CALL, _REACT_GIVE_UP = range(4)
_KIND_BITS = 4
_KIND_MASK = (1 << _KIND_BITS) - 1
_KINDS = 12
_KIND_EDGES = np.arange(_KINDS + 1)
_SLOTS = np.arange(4, dtype=np.uint64)[:, None]
_DAY = 86_400
_MAX_DAYS = 62  # the planned visit days of an account are the bits of an int64
_FLUSH = 1 << 16  # recorded instants kept (at least; one per producer) before adding them up
_M = {name: i for i, name in enumerate(METRICS)}


class _Draws:
    """The draws of a run of events, slot by slot, each computed when first used."""

    def __init__(self, origin: np.ndarray) -> None:
        self.origin = origin
        self.slots: dict[int, np.ndarray] = {}

    def __getitem__(self, slot: int) -> np.ndarray:
        values = self.slots.get(slot)
        if values is None:
            values = self.slots[slot] = slot_draw_array(self.origin, slot)
        return values

    def take(self, count: int) -> _Draws:
        """Compute slots 0..``count``-1 at once (fewer numpy calls on small waves)."""
        if not self.slots:
            values = slot_draw_array(self.origin[None, :], _SLOTS[:count])
            self.slots = dict(enumerate(values))
        return self


_Steps = tuple[np.ndarray, np.ndarray, np.ndarray]


def _steps(steps: list[tuple[int, tuple[int, int]]]) -> _Steps:
    """Lookup tables of (kind, (low, high) seconds) choices: kinds, lows, span sizes."""
    kinds = np.array([kind for kind, _ in steps], dtype=np.int64)
    lows = np.array([low for _, (low, _) in steps], dtype=np.int64)
    spans = np.array([high - low + 1 for _, (low, high) in steps], dtype=np.uint64)
    return kinds, lows, spans


class _Engine:
    """One shard's state (per-producer arrays), its pending events and its handlers."""

    def __init__(
        self,
        plan: Plan,
        table: CompiledTable,
        population: Population,
        start: int,
        stop: int,
    ) -> None:
        if stop - start >= 1 << 28:
            raise ValueError("a shard may hold at most 2**28 - 1 producers")
        if plan.days > _MAX_DAYS:
            raise ValueError(f"the engine simulates at most {_MAX_DAYS} days")
        self.plan = plan
        self.table = table
        self.population = population
        self.start = start
        self.n = n = stop - start
        self.end_key = plan.end << _KIND_BITS
        self.ids = np.arange(start, stop, dtype=np.int64)
        self.base = producer_base_array(plan.step_key, self.ids)

        # pending events: key = time << 4 | kind, NEVER when none
        self.chain_key = np.full(n, NEVER, dtype=np.int64)  # the visit's next step
        self.chain_aux = np.zeros(n, dtype=np.int8)
        self.visit_key = np.full(n, NEVER, dtype=np.int64)  # the next planned visit
        self.visit_day = np.zeros(n, dtype=np.int64)
        self.visit_days = np.zeros(n, dtype=np.int64)  # bit d: a visit planned on day d
        self.visit_base = producer_base_array(plan.visit_key, self.ids)
        self.attack_key = np.full(n, NEVER, dtype=np.int64)  # the attacker's next attempt
        self.attempt = np.zeros(n, dtype=np.int32)

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

        self.counts = dict.fromkeys(r.COUNTERS, 0)
        self.events = np.zeros(_KINDS, dtype=np.int64)
        self.timeline = np.zeros((len(METRICS), plan.minutes), dtype=np.int64)
        self.call_counts = np.zeros((len(r.CALL_REASONS), len(plan.call_numbers)), dtype=np.int64)
        self.series: list[list[np.ndarray]] = [[] for _ in METRICS]
        self.buffered = 0
        self.flush_at = max(_FLUSH, n)
        self.durations: list[np.ndarray] = []

        self.hour_cumulative = np.array(plan.hour_cumulative, dtype=np.uint64)
        self.react_cumulative = np.array(plan.react_cumulative, dtype=np.uint64)
        self.react_fallback = (
            None
            if plan.react_cumulative_no_give_up is None
            else np.array(plan.react_cumulative_no_give_up, dtype=np.uint64)
        )
        self.delays = np.array(plan.delivery_delays, dtype=np.int64)
        self.events_per_state = len(EVENTS)
        # what follows a login, by outcome kind (+ 6 when a temporary password was typed)
        none, retry, form = (0, (1, 1)), (r.LOGIN, plan.retry), (r.RESET_REQUEST, plan.form)
        change, react = (r.CHANGE_PASSWORD, plan.change_password), (r.REACT, plan.retry)
        outcome_steps = {
            NOTHING: (none, none),
            SIGNED_IN: (none, none),
            SIGNED_IN_TEMPORARY: (change, change),
            FAILED: (retry, form),
            LOCKED_NOW: (react, react),
            REFUSED_LOCKED: (react, react),
        }
        self.after_login = _steps(
            [outcome_steps[k][0] for k in range(6)] + [outcome_steps[k][1] for k in range(6)]
        )
        # what follows a reaction to a lock-out: nothing, reset, recover, call, give up
        self.after_react = _steps(
            [
                none,
                form,
                (r.USERNAME_REQUEST, plan.form),
                (r.CALL, plan.form),
                (r.LOGIN, plan.come_back),
            ]
        )

    # -- pending events -------------------------------------------------------------------

    def emit(self, t: np.ndarray, who: np.ndarray, kind: int, aux: np.ndarray | int = 0) -> None:
        """The next step of each visit of ``who`` (one pending step per producer)."""
        if t.size:
            self.chain_key[who] = (t << _KIND_BITS) | kind
            self.chain_aux[who] = aux

    def emit_choice(
        self, t: np.ndarray, w: np.ndarray, choice: np.ndarray, steps: _Steps, draws: np.ndarray
    ) -> None:
        """Each producer's next step ``steps[choice]`` (none where its kind is 0), after
        a delay drawn uniformly from its range as `uniform_array` draws it."""
        kinds, lows, spans = steps
        kind = kinds[choice]
        go = kind != 0
        if not go.all():
            t, w, choice, kind, draws = t[go], w[go], choice[go], kind[go], draws[go]
            if not t.size:
                return
        delay = ((draws * spans[choice]) >> np.uint64(32)).astype(np.int64) + lows[choice]
        self.chain_key[w] = ((t + delay) << _KIND_BITS) | kind
        self.chain_aux[w] = 0

    def plan_visits(self, w: np.ndarray, first_day: np.ndarray) -> None:
        """Each account's next planned visit on day ``first_day`` or later (if any)."""
        plan = self.plan
        later = self.visit_days[w] & ~((np.int64(1) << first_day) - 1)
        lowest = later & -later
        day = np.frexp(lowest.astype(np.float64))[1].astype(np.int64) - 1
        base = self.visit_base[w]
        steps = day.astype(np.uint64)
        hour = choose_array(step_draw_array(base, steps, 1), self.hour_cumulative)
        second = uniform_array(step_draw_array(base, steps, 2), 0, 3599)
        t = day * _DAY + hour.astype(np.int64) * 3600 + second
        self.visit_day[w] = day
        self.visit_key[w] = np.where(
            (later != 0) & (t < plan.end), (t << _KIND_BITS) | r.ARRIVE, NEVER
        )

    # -- set-up ---------------------------------------------------------------------------

    def schedule(self) -> None:
        plan = self.plan
        for day in range(plan.days):
            visits = base_draw_array(self.visit_base, day, 0) < plan.visit_threshold
            self.visit_days |= visits.astype(np.int64) << day
        self.plan_visits(np.arange(self.n), np.zeros(self.n, dtype=np.int64))
        if plan.attack:
            targets = draw_array(plan.attack_key, self.ids, 0, 0) < plan.attack_target_threshold
            who = np.flatnonzero(targets)
            self.counts["attack_targets"] = len(who)
            offset = uniform_array(
                draw_array(plan.attack_key, self.ids[who], 0, 1), 0, plan.attack_window - 1
            )
            t = plan.attack_start + offset
            self.attack_key[who] = np.where(t < plan.end, (t << _KIND_BITS) | r.ATTACK, NEVER)

    # -- the waves ------------------------------------------------------------------------

    def run(self) -> ShardResult:
        self.schedule()
        end_key = self.end_key
        active = np.arange(self.n)
        while active.size:
            kc = self.chain_key[active]
            kv = self.visit_key[active]
            ka = self.attack_key[active]
            k = np.minimum(np.minimum(kc, kv), ka)
            live = k < end_key
            if not live.all():
                active, k, kc, kv = active[live], k[live], kc[live], kv[live]
                if not active.size:
                    break
            active = self.wave(active, k, kc, kv)
        return self.finish()

    def wave(
        self, who: np.ndarray, key: np.ndarray, chain: np.ndarray, visit: np.ndarray
    ) -> np.ndarray:
        """Apply the earliest pending event of each account ``who`` (distinct accounts:
        any order gives the same result); the accounts that may have more."""
        accounts = who
        kind = key & _KIND_MASK
        arriving = key == visit
        if arriving.any():
            aw = who[arriving]
            self.plan_visits(aw, self.visit_day[aw] + 1)
            busy = arriving & (chain != NEVER)
            if busy.any():  # still in the last visit: this one is skipped
                keep = ~busy
                who, key, kind = who[keep], key[keep], kind[keep]
        attacked = kind == r.ATTACK
        if attacked.any():
            self.next_attempt(who[attacked], key[attacked] >> _KIND_BITS)
        if len(who) > 1 and kind.min() != kind.max():
            order = np.argsort(kind, kind="stable")
            kind, key, who = kind[order], key[order], who[order]
        t = key >> _KIND_BITS
        edges = np.searchsorted(kind, _KIND_EDGES)
        self.events += edges[1:] - edges[:-1]
        cut = edges.tolist()
        process = cut[r.ATTACK]
        if process:
            pw = who[:process]
            self.chain_key[pw[cut[r.LOGIN] :]] = NEVER
            aux = self.chain_aux[pw].astype(np.int64)
            steps = self.step[pw]
            origin = step_origin_array(self.base[pw], steps)
            self.step[pw] = steps + 1
            for k, handler in _HANDLERS:  # functions, not bound methods: no cycle
                a, b = cut[k], cut[k + 1]
                if a < b:
                    handler(self, t[a:b], who[a:b], aux[a:b], _Draws(origin[a:b]))
        a, b = cut[r.ATTACK], cut[r.ATTACK + 1]
        if a < b:
            self.attack(t[a:b], who[a:b])
        return accounts

    def next_attempt(self, w: np.ndarray, t: np.ndarray) -> None:
        plan = self.plan
        attempt = self.attempt[w] + 1
        self.attempt[w] = attempt
        then = t + plan.attack_spacing
        self.attack_key[w] = np.where(
            (attempt < plan.attack_attempts) & (then < plan.end),
            (then << _KIND_BITS) | r.ATTACK,
            NEVER,
        )

    # -- bookkeeping ----------------------------------------------------------------------

    def count(self, name: str, amount: int | np.integer) -> None:
        self.counts[name] += int(amount)

    def record(self, metric: str, t: np.ndarray) -> None:
        if t.size:
            self.series[_M[metric]].append(t)
            self.buffered += t.size
            if self.buffered >= self.flush_at:
                self.flush()

    def flush(self) -> None:
        """Add the recorded instants to the timeline."""
        minutes = self.plan.minutes
        for i, chunks in enumerate(self.series):
            if chunks:
                minute = (np.concatenate(chunks) if len(chunks) > 1 else chunks[0]) // 60
                self.timeline[i] += np.bincount(minute, minlength=minutes)
                chunks.clear()
        self.buffered = 0

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
        """The visit is over: the producer's next planned visit is already pending."""
        self.count("visits_signed_in" if signed_in else "visits_stopped", len(w))

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
        self.deliver(at[arrives], mail, spam[arrives])
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

    def deliver(self, at: np.ndarray, mail: int, spam: np.ndarray) -> None:
        """Emails of kind ``mail`` arriving at ``at``: delivered then, or queued at the
        period's end (a delivery changes no account, so it is counted when sent)."""
        if not at.size:
            return
        name = r.MAIL_KINDS[mail]
        inside = at < self.plan.end
        delivered = int(np.count_nonzero(inside))
        self.events[r.DELIVER] += delivered
        self.count(f"emails_queued_{name}", len(at) - delivered)
        to_spam = inside & spam
        to_inbox = inside & ~spam
        self.count(f"emails_spam_{name}", np.count_nonzero(to_spam))
        self.count(f"emails_inbox_{name}", np.count_nonzero(to_inbox))
        self.record("emails_to_spam", at[to_spam])
        self.record("emails_to_inbox", at[to_inbox])

    def arrive(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        d = d.take(4)
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
        d = d.take(2)
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
        kind = self.apply(t, w, event).astype(np.int64)
        self.use_temporary[w] = False
        self.count("login_attempts", len(w))
        self.record("login_attempts", t)
        tally = np.bincount(kind, minlength=6)
        signed = kind == SIGNED_IN
        succeeded = tally[SIGNED_IN] + tally[SIGNED_IN_TEMPORARY]
        self.count("logins_succeeded", succeeded)
        if succeeded:
            self.record("logins_succeeded", t[signed | (kind == SIGNED_IN_TEMPORARY)])
        self.count("logins_with_temporary_password", tally[SIGNED_IN_TEMPORARY])
        failures = tally[FAILED] + tally[LOCKED_NOW]
        self.count("login_failures", failures)
        if failures:
            self.record("login_failures", t[(kind == FAILED) | (kind == LOCKED_NOW)])
        self.count("logins_refused_locked", tally[REFUSED_LOCKED])
        self.count("lockouts_by_producer", tally[LOCKED_NOW])
        if tally[SIGNED_IN]:
            self.end_visit(t[signed], w[signed], True)
        self.emit_choice(t, w, kind + 6 * temporary, self.after_login, d[1])

    def react(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        d = d.take(2)
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
        recover = choice == _REACT_RECOVER
        if recover.any():
            self.after_mail[w[recover]] = r.RESET_REQUEST
        call = choice == _REACT_CALL
        if call.any():
            cannot = call & (self.calls[w] >= plan.max_calls)
            choice[cannot] = _REACT_RESET  # out of calls: straight to Reset Password?
            self.repeat[w[call & ~cannot]] = r.RESET_REQUEST
        give_up = choice == _REACT_GIVE_UP
        gw = w[give_up]
        self.give_ups[gw] += 1
        self.count("gave_up_for_now", len(gw))
        self.emit_choice(t, w, choice + 1, self.after_react, d[1])

    def request_user_name(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        d = d.take(4)
        self.count("username_recoveries", len(w))
        self.send(t, w, _USERNAME_MAIL, d)

    def request_reset(self, t: np.ndarray, w: np.ndarray, aux: np.ndarray, d: _Draws) -> None:
        d = d.take(4)
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
            if pick.any():
                self.call_counts[reason] += np.bincount(
                    category[pick], minlength=self.call_counts.shape[1]
                )
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
        self.flush()
        result = ShardResult.empty(
            self.start, self.start + self.n, plan.minutes, len(plan.call_numbers)
        )
        counts = self.counts
        # every step still pending is at or after the end: a visit in progress
        counts["visits_in_progress"] = int(np.count_nonzero(self.chain_key != NEVER))
        locked = self.table.locked[self.acct]
        counts["accounts_still_locked"] = int(np.count_nonzero(locked))
        for event_kind, name in r.EVENT_KINDS.items():
            counts[f"events_{name}"] = int(self.events[event_kind])
        result.counters = counts
        result.timeline = self.timeline
        result.calls = self.call_counts
        result.lock_durations = np.sort(
            np.concatenate(self.durations) if self.durations else np.zeros(0, dtype=np.int64)
        )
        result.still_locked_since = np.sort(self.locked_at[locked])
        return result


_HANDLERS = (
    (r.ARRIVE, _Engine.arrive),
    (r.LOGIN, _Engine.log_in),
    (r.REACT, _Engine.react),
    (r.USERNAME_REQUEST, _Engine.request_user_name),
    (r.RESET_REQUEST, _Engine.request_reset),
    (r.CHECK_INBOX, _Engine.check_inbox),
    (r.CHECK_SPAM, _Engine.check_spam),
    (r.CALL, _Engine.call),
    (r.CHANGE_PASSWORD, _Engine.change_password),
)


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
    on the shard's bounds. ``bucket_seconds`` is accepted for older callers and
    ignored (the engine has no calendar of buckets any more).
    """
    return _Engine(plan, table, population, start, stop).run()
