@E37-9.4
Feature: SECS-II considerations (E37 9.4)
  A reply carries the session id, stream and system bytes of its primary and function + 1 or 0
  (9.4.1). T3 limits how long the sender waits for a reply; after it the reply is no longer
  expected (9.4.1.1). Stream 9 messages carry the 10-byte HSMS header in MHEAD or SHEAD (9.4.2).

  @E37-9.4.1 @MUST
  Scenario Outline: The reply to <primary> matches the primary
    # NOTES.md: wrong session id, stream or system bytes fail; function other than + 1 or 0 and
    # a W-bit on the reply are WARN.
    Given a selected connection to the IUT
    When the tester sends <primary>
    Then the IUT replies with a reply that matches the primary

    Examples:
      | primary |
      | S1F1 W  |
      | S1F13 W |
      | S2F17 W |

  @E37-9.4.1 @MUST
  Scenario Outline: A data message with session id <session id> is replied to with the whole session id
    # E37-8.1.4.1: the session id is 16 bits unsigned; bit 15 is no SECS-I R-bit. An IUT that knows
    # no such device may report it with S9F1 instead.
    Given a selected connection to the IUT
    When the tester sends S1F1 W with session id <session id>
    Then the IUT replies with the whole session id or reports an unknown device with S9F1

    Examples:
      | session id |
      | 0x8000     |
      | 0xFFFE     |

  @E37-9.4.1 @MUST @needs-control
  Scenario: The IUT's reply uses the tester's system bytes while its own primary is open
    Given a selected connection to the IUT
    When the IUT is made to send S1F1 W and the tester holds the reply
    And the tester sends S1F1 W
    Then the IUT replies with a reply that matches the primary
    When the tester now answers the IUT's open request
    Then the IUT is selected

  @E37-9.4.1.1 @MUST @needs-control
  Scenario: A reply that arrives after T3 is not taken for the reply
    # NOTES.md: T3 is invisible on the wire. Ignoring the late reply, an S9 message (S9F9, S9F3
    # type) or a Reject.req all pass; closing is WARN under E37 (HSMS-SS: E37.1-t3-no-close).
    Given a selected connection to the IUT
    When the IUT is made to send S1F1 W and the tester holds the reply
    And the tester sends the reply to the IUT's primary after T3
    Then the IUT does not take the late reply for the reply to its primary

  @E37-9.4.2 @SHOULD
  Scenario: S9 messages carry the HSMS header of the offending message
    # Inconclusive when the IUT sends no stream 9 message at all.
    Given a selected connection to the IUT
    When the tester sends data messages equipment reports in stream 9
    Then every S9 message the IUT sent carries the HSMS header of the offending message
