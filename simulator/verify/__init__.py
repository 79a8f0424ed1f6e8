"""`rpp verify`: the producer actions (``journeys``), the exploration of the flows
that chooses journeys and what each step must show (``exploration``), and the checks,
report and command (``command``)."""
