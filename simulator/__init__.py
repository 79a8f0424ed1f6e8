"""What runs the flows, in layers, each importing only the ones before it
(``tests/test_layering.py`` checks): ``mail`` (the emails, mailbox, SMTP sink) ->
``portal`` (the executable portal the flows' machines drive) -> ``population``
(Faker producers) -> ``drivers`` (the protocol journeys and steps act through) ->
``verify`` (`rpp verify`) -> ``simulation`` (`rpp simulate`) -> ``cli`` (`rpp`)."""
