@E37-A1
Feature: Alternating mode connect procedure (E37 A1-3)
  An alternating entity tries an active connect (allowed at least T5); if that fails it listens
  on its published port for at least T5; and so on until a connection forms. It can therefore
  connect with a passive remote entity (from its active phase) and with an active one (during
  its passive phase), and then behaves as any connected entity.

  @E37-A1-3.2 @MUST @iut-alternating
  Scenario: An alternating IUT connects to a passive tester
    # Combination 2 of A1-3.2: the tester listens where the profile says.
    Then the IUT connects to the tester
    And a session can be selected on the connection

  @E37-A1-3 @MUST @iut-alternating
  Scenario: An alternating IUT accepts an active tester during its passive phase
    # A1-3 steps 3-4: with the tester not listening, the IUT's active attempts fail and it must
    # listen on its published port for at least T5 (the tester tries every T5/4 for 3 x T5 + T6).
    When the tester does not accept connections
    Then the IUT accepts a connection on its published port during its passive phase
    And a session can be selected on the connection
