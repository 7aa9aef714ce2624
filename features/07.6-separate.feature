@E37-7.6
Feature: Separate procedure (E37 7.6)
  Separate ends a session at once; the responding entity never answers it, and ignores it when
  it is not SELECTED.

  @E37-7.6.2 @MUST
  Scenario: Separate.req in SELECTED ends the session without a response
    Given a selected connection to the IUT
    When the tester sends Separate.req
    Then the IUT does not answer the Separate.req
    And the IUT is not selected or has closed the connection

  @E37-7.6.2 @MUST
  Scenario: Separate.req is ignored when the IUT is not selected
    # NOTES.md: no response and no Reject; closing is WARN under e37 and correct under HSMS-SS.
    Given a connection to the IUT that is not selected
    When the tester sends Separate.req
    Then the IUT ignores the Separate.req

  @E37-7.6.1 @MUST @needs-control
  Scenario: After sending Separate.req the IUT is no longer SELECTED
    Given a selected connection to the IUT
    When the tester makes the IUT send Separate.req
    Then the IUT is not selected or has closed the connection
