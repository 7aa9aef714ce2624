@fuzz @iut-passive
Feature: Property-based fuzzing of framing and of the session state machine
  fast-check generates valid frames of every SType and mutations of them (bit flips in every
  header field, lengths too small, too large, off by one and 0xFFFFFFFF, truncation, trailing
  bytes, text on control messages, PType and SType outside the tables, edge session ids) and
  delivers them in arbitrary pieces. After every input the IUT answers as E37 requires or closes,
  never sends a malformed or mismatched frame, and still completes Select and Linktest on a new
  connection. Each scenario runs the world parameter fuzzRuns cases with the run's seed and fails
  only on findings on its own clause; a failure is shrunk and reported with its replay command.
  Active IUTs are fuzzed with `hsms-conformance fuzz` (every case waits T5 for the reconnect).

  Background:
    Given the IUT answers the checks every fuzzed case relies on

  @E37-8.1.3 @MUST
  Scenario: Fuzzed message lengths and framing: no garbage answered, new connections still served
    When the tester fuzzes the framing property for clause E37-8.1.3
    Then the fuzzer finds nothing

  @E37-7.7.2 @MUST
  Scenario: Fuzzed PType and SType values draw Reject with the right reason
    When the tester fuzzes the framing property for clause E37-7.7.2
    Then the fuzzer finds nothing

  @E37-8.2.8 @MUST
  Scenario: Fuzzed inputs: every Reject.req echoes the rejected header, byte 2 as 8.2.8 says
    When the tester fuzzes the framing property for clause E37-8.2.8
    Then the fuzzer finds nothing

  @E37-9.3.3 @SHOULD
  Scenario: Fuzzed control messages with text are never answered as if valid
    When the tester fuzzes the framing property for clause E37-9.3.3
    Then the fuzzer finds nothing

  @E37-9.2.3 @MUST
  Scenario: A pause beyond T8 inside a fuzzed message closes the connection; between messages it does not
    When the tester fuzzes the gaps property for clause E37-9.2.3
    Then the fuzzer finds nothing

  @E37-7.4.2 @MUST @e37-only
  Scenario: Random procedure sequences: Deselect ends the session as the model of E37 says
    When the tester fuzzes the model property for clause E37-7.4.2
    Then the fuzzer finds nothing

  @E37-7.6.2 @MUST
  Scenario: Random procedure sequences: Separate ends the session as the model of E37 says
    When the tester fuzzes the model property for clause E37-7.6.2
    Then the fuzzer finds nothing
