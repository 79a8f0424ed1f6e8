"""The executable Retail Producer Portal built from the flows, its mailbox, its
producers, the path explorer (`rpp verify`), the load simulation (`rpp simulate`)
and the `rpp` command line."""
