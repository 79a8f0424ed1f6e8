@producer_services
Feature: Producer Services
  The forms show whom to call: a number per state and line of business. Medicare
  Supplement has two rows, Legacy (business before a cut-over date) and New Business
  (from it), both always shown with their dates. State Farm agents have a number of
  their own, given in the emails. Numbers the guide does not show legibly stay unknown
  and are never invented. Both emails end with the Producer Services paragraph.

  @SERVICES-1
  Scenario Outline: The number for a state and a row of the directory
    When a producer in "<state>" looks up Producer Services for "<line>"
    Then the number to call is "<number>"

    Examples:
      | state | line                      | number         |
      | IL    | Major Medical             | (888) 313-5526 |
      | NM    | Major Medical             | (888) 222-0572 |
      | OK    | Major Medical             | (888) 399-9394 |
      | TX    | Major Medical             | (888) 697-0679 |
      | MT    | Major Medical             | (855) 454-7109 |
      | OK    | Medicare Advantage (MAPD) | (877) 774-8592 |

  @SERVICES-1
  Scenario Outline: Medicare Supplement: the Legacy row serves business before the cut-over, the New Business row business from it, each with its date
    When a producer in "<state>" looks up Producer Services for "<line>"
    Then the number to call is "<number>"
    And the directory shows it as "<shown>"

    Examples:
      | state | line                               | number         | shown                                  |
      | IL    | Medicare Supplement (Legacy)       | (800) 538-0382 | (800) 538-0382 prior to May 1, 2019    |
      | IL    | Medicare Supplement (New Business) | (877) 587-6638 | (877) 587-6638 on or after May 1, 2019 |
      | NM    | Medicare Supplement (Legacy)       | (888) 222-0572 | (888) 222-0572 prior to May 1, 2019    |
      | NM    | Medicare Supplement (New Business) | (877) 587-6679 | (877) 587-6679 on or after May 1, 2019 |
      | OK    | Medicare Supplement (Legacy)       | (800) 522-9266 | (800) 522-9266 prior to May 1, 2019    |
      | OK    | Medicare Supplement (New Business) | (877) 587-6645 | (877) 587-6645 on or after May 1, 2019 |
      | TX    | Medicare Supplement (Legacy)       | (800) 366-4236 | (800) 366-4236 prior to Jan 1, 2020    |
      | TX    | Medicare Supplement (New Business) | (877) 587-6641 | (877) 587-6641 on or after Jan 1, 2020 |
      | MT    | Medicare Supplement (Legacy)       | (855) 258-8475 | (855) 258-8475                         |
      | MT    | Medicare Supplement (New Business) | (855) 258-8475 | (855) 258-8475                         |

  @SERVICES-1
  Scenario Outline: A number the guide does not show legibly is unknown, never invented
    When a producer in "<state>" looks up Producer Services for "<line>"
    Then the number to call is unknown

    Examples:
      | state | line                      |
      | IL    | Medicare Advantage (MAPD) |
      | NM    | Medicare Advantage (MAPD) |
      | TX    | Medicare Advantage (MAPD) |
      | MT    | Medicare Advantage (MAPD) |
      | IL    | Prescription Drug (PDP)   |
      | OK    | Prescription Drug (PDP)   |
      | MT    | Prescription Drug (PDP)   |

  @SERVICES-2 @decision-state-farm-number
  Scenario Outline: State Farm agents call the emails' number, whatever their state and line
    When a State Farm agent in "<state>" looks up Producer Services for "<line>"
    Then the number to call is "1-844-250-8201"

    Examples:
      | state | line                               |
      | IL    | Major Medical                      |
      | TX    | Medicare Supplement (Legacy)       |
      | MT    | Prescription Drug (PDP)            |

  @SERVICES-3 @SERVICES-2
  Scenario: Both emails end with the Producer Services paragraph
    Given a registered producer
    And the producer has requested a password reset
    Then the producer receives an email with the subject "Retail Producer Portal Password Reset"
    And the email says:
      """
      If you have any questions regarding this notification, please contact Producer Services toll free at any of the following numbers: IL: (888) 313-5526 MT: (855) 454-7109
      State Farm agents - please call 1-844-250-8201 for assistance.
      NOTE: Any replies to this mail will not be received.
      """
    When the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID their Agent Unique ID and the E-mail Address their E-mail Address
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    And the email says:
      """
      If you have any questions regarding this notification, please contact Producer Services toll free at any of the following numbers: IL: (888) 313-5526 MT: (855) 454-7109
      State Farm agents - please call 1-844-250-8201 for assistance.
      NOTE: Any replies to this mail will not be received.
      """
