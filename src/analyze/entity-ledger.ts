import type { Measure, TrafficFinding } from './judge-types';
import type { SideRules } from './side-rules';
import { DurationStats } from './statistics';

/**
 * Everything the capture showed about one entity, clause by clause: how often the traffic
 * exercised it, the findings against it (the first ones kept in full, all counted) and the
 * timer values measured. Bounded whatever the capture holds.
 */

export type EntityRole = 'accepting' | 'connecting';

export interface EntityFinding extends TrafficFinding {
  readonly connection: number;
}

export interface ClauseLedger {
  exercised: number;
  fails: number;
  warns: number;
  /** The first findings, in capture order. */
  readonly findings: EntityFinding[];
  /** A connection that exercised the clause, for the evidence link. */
  firstConnection: number | null;
}

export const KEPT_FINDINGS_PER_CLAUSE = 20;

export type EntityMeasure = Measure | 'T5 reconnect gap';

export class EntityLedger {
  readonly clauses = new Map<string, ClauseLedger>();
  readonly measures = new Map<EntityMeasure, DurationStats>();
  connections = 0;
  messagesSent = 0;
  bytesSent = 0;

  constructor(
    /** `10.0.0.2:5000` (accepting) or `10.0.0.1` (connecting). */
    readonly key: string,
    readonly name: string,
    readonly role: EntityRole,
    readonly rules: SideRules,
  ) {}

  private clause(id: string): ClauseLedger {
    let c = this.clauses.get(id);
    if (!c) {
      c = { exercised: 0, fails: 0, warns: 0, findings: [], firstConnection: null };
      this.clauses.set(id, c);
    }
    return c;
  }

  exercised(clause: string, connection: number): void {
    const c = this.clause(clause);
    c.exercised++;
    c.firstConnection ??= connection;
  }

  finding(f: EntityFinding): void {
    const c = this.clause(f.clause);
    if (f.severity === 'fail') c.fails++;
    else c.warns++;
    c.firstConnection ??= f.connection;
    if (c.findings.length < KEPT_FINDINGS_PER_CLAUSE) c.findings.push(f);
  }

  measured(what: EntityMeasure, ms: number): void {
    let s = this.measures.get(what);
    if (!s) {
      s = new DurationStats();
      this.measures.set(what, s);
    }
    s.add(ms);
  }

  get findingCount(): number {
    let n = 0;
    for (const c of this.clauses.values()) n += c.fails + c.warns;
    return n;
  }
}
