@E37-5
Feature: HSMS state machine (E37 5)
  An entity is NOT CONNECTED, or CONNECTED in one of two substates: NOT SELECTED (no HSMS
  session) or SELECTED (data may be exchanged). The tester infers the IUT's state from how it
  treats a data message (answered in SELECTED, rejected in NOT SELECTED) and, when that is not
  conclusive, from how it answers Select.req (status 1 means it is already SELECTED).
  Transition 5 belongs to the procedure that triggers it (E37-7.4.2 Deselect, E37-7.6.2 Separate);
  transition 6 (T7 expiry, "NOT CORRECTED" read as NOT CONNECTED) is judged under E37-9.2.2 in
  09.2-tcp-considerations.feature.

  @E37-5.3 @MUST
  Scenario: Transition 2: a new TCP connection starts in NOT SELECTED
    Given a new TCP connection to the IUT
    Then the IUT treats the connection as NOT SELECTED

  @E37-5.3 @MUST @iut-passive @passive-phase
  Scenario: Transition 4: a successful Select leads to SELECTED
    Given a new TCP connection to the IUT
    When the tester selects the IUT
    Then the IUT treats the connection as SELECTED

  @E37-5.3 @MUST @iut-active
  Scenario: Transition 4: the active IUT's successful Select leads to SELECTED
    Given a connection from the IUT that sent Select.req
    When the tester answers the Select.req with status 0
    Then the IUT treats the connection as SELECTED

  @E37-5.3 @MUST
  Scenario: Transition 3: a session does not outlive its TCP connection
    # After the break the IUT is NOT CONNECTED; the next connection starts again in NOT SELECTED.
    Given a selected connection to the IUT
    When the tester closes the connection
    And the tester opens a new TCP connection to the IUT
    Then the IUT treats the connection as NOT SELECTED

  @E37-7.4.2 @MUST @e37-only
  Scenario: Transition 5: a successful Deselect leads back to NOT SELECTED
    # The IUT may then break the connection at once (transition 3, E37-6.4).
    Given a selected connection to the IUT
    When the tester sends Deselect.req
    Then the IUT answers with Deselect.rsp status 0
    And the IUT treats the connection as NOT SELECTED or closes it

  @E37-7.6.2 @MUST
  Scenario: Transition 5: Separate leads back to NOT SELECTED
    # The IUT may then break the connection at once (transition 3, E37-6.4).
    Given a selected connection to the IUT
    When the tester sends Separate.req
    Then the IUT treats the connection as NOT SELECTED or closes it
