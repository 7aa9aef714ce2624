@E37-7.5
Feature: Linktest procedure (E37 7.5)
  Linktest checks the connection and is valid in any CONNECTED state: the responding entity
  answers every Linktest.req with a Linktest.rsp.

  @E37-7.5 @MUST @e37-only
  Scenario: Linktest.req in NOT SELECTED is answered
    # HSMS-SS uses Linktest only when SELECTED (E37.1-linktest-selected-only).
    Given a connection to the IUT that is not selected
    When the tester sends Linktest.req
    Then the IUT answers with Linktest.rsp

  @E37-7.5.2 @MUST
  Scenario: Linktest.req in SELECTED is answered with its own system bytes
    Given a selected connection to the IUT
    When the tester sends Linktest.req
    Then the IUT answers with Linktest.rsp
    And the response echoes the system bytes of the request

  @E37-7.5.1 @MUST @needs-control
  Scenario: The IUT's Linktest completes on Linktest.rsp and the session carries on
    Given a selected connection to the IUT
    When the tester makes the IUT send Linktest.req
    And the tester answers the Linktest.req with Linktest.rsp
    Then the IUT is selected
