@E37-7.3
Feature: Data procedure (E37 7.3)
  Either entity may send data messages while SELECTED. A data message received in any other
  state draws the Reject procedure (7.7); which reason it gives is judged under 7.7.2 and the
  Reject's header fields under 8.2.8.

  @E37-7.3 @MUST
  Scenario: A data message in NOT SELECTED is rejected, not answered
    # HSMS-SS (E37.1-not-selected-failure): closing the connection instead also passes.
    Given a connection to the IUT that is not selected
    When the tester sends S1F1 W
    Then the IUT rejects the data message instead of answering it

  @E37-7.3 @MUST
  Scenario: A data message with the W-bit in SELECTED is answered
    Given a selected connection to the IUT
    When the tester sends S1F1 W
    Then the IUT answers the primary with a data message

  @E37-7.3 @SHOULD
  Scenario: A primary without the W-bit draws no reply
    # NOTES.md: replying to a primary that expects none is WARN.
    Given a selected connection to the IUT
    When the tester sends S1F1
    Then the IUT sends no reply to the primary without the W-bit
