@producer_services
Feature: Producer Services
  The forms show whom to call: a number per state and line of business, some of them
  only before or from a date; State Farm agents have a number of their own. Numbers
  the guide does not show legibly stay unknown and are never invented. Both emails end
  with the Producer Services paragraph.

  @SERVICES-1
  Scenario Outline: The number for a state and a line of business
    When a producer in "<state>" looks up Producer Services for "<line>" on May 1, 2019
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
  Scenario Outline: Medicare Supplement: the Legacy number before the cut-over, the New Business number from it
    When a producer in "<state>" looks up Producer Services for "Medicare Supplement" on <date>
    Then the number to call is "<number>"

    Examples:
      | state | date              | number         |
      | IL    | April 30, 2019    | (800) 538-0382 |
      | IL    | May 1, 2019       | (877) 587-6638 |
      | NM    | April 30, 2019    | (888) 222-0572 |
      | NM    | May 1, 2019       | (877) 587-6679 |
      | OK    | April 30, 2019    | (800) 522-9266 |
      | OK    | May 1, 2019       | (877) 587-6645 |
      | TX    | May 1, 2019       | (800) 366-4236 |
      | TX    | December 31, 2019 | (800) 366-4236 |
      | TX    | Jan 1, 2020       | (877) 587-6641 |
      | MT    | April 30, 2019    | (855) 258-8475 |
      | MT    | Jan 1, 2020       | (855) 258-8475 |

  @SERVICES-1
  Scenario Outline: A number the guide does not show legibly is unknown, never invented
    When a producer in "<state>" looks up Producer Services for "<line>" on May 1, 2019
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

  @SERVICES-2
  Scenario Outline: State Farm agents call their own number, whatever their state and line
    When a State Farm agent in "<state>" looks up Producer Services for "<line>" on <date>
    Then the number to call is "1-844-250-8201"

    Examples:
      | state | line                      | date           |
      | IL    | Major Medical             | May 1, 2019    |
      | TX    | Medicare Supplement       | April 30, 2019 |
      | MT    | Prescription Drug (PDP)   | Jan 1, 2020    |

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
