"""`rpp verify`: the producer actions (``journeys``), the exploration of the flows
that chooses journeys and what each step must show (``exploration``), and the checks,
report and command (``command``), and W/Wp-method conformance suites for
deterministic Mealy machines (``wmethod``, the base of the conformance model to come)."""
