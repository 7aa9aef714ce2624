@E37-6
Feature: Use of TCP/IP (E37 6)
  HSMS runs on one TCP connection formed in passive or active mode. The connection may be
  broken only in NOT SELECTED: an entity does not close a SELECTED connection on its own unless
  it detects a communication failure (E37-9.1.1).

  @E37-6.3.3 @MUST @iut-active
  Scenario: An active IUT connects to the tester and starts in NOT SELECTED
    # The tester listens where the profile says; the IUT's Select.req shows it is NOT SELECTED.
    Then the IUT connects to the tester
    And the IUT sends Select.req on the new connection

  @E37-6.4 @MUST
  Scenario: The IUT does not close a SELECTED connection on its own
    # Linktests keep traffic flowing so that only the close rule is tested; idle time between
    # messages is judged under E37-9.2.3.
    Given a selected connection to the IUT
    Then the connection stays open for 1.5 x T7, with a Linktest.req every half T8
    And the IUT treats the connection as SELECTED

  @E37-6.3.1 @MUST
  Scenario: The IUT forms connections in the connect mode it declares
    Given a TCP connection to the IUT
    Then the connection was formed in the connect mode the IUT declares

  @E37-6.3.2 @MUST @iut-passive @passive-phase
  Scenario: A passive IUT accepts a connection on its published port, which starts NOT SELECTED
    # An alternating IUT in its passive phase may send Select.req first: it is refused (status 2).
    Given a connection to the IUT that is not selected
    Then the IUT treats the connection as NOT SELECTED
