import type { ConnectMode, RefusalOption, Standard, TimerSeconds } from '../peer/parameters';
import { profileSchema, schemaEnum } from './profile-schema';
import { describeProfile, type ControlProcedure, type IutProfile } from './profile';

/**
 * What the suite knows about the IUT for one run: the capability statement and the test
 * parameters of the profile (CONTRACTS.md section 3), or those of the embedded reference peer.
 * It travels to the step definitions as cucumber world parameters, so it is plain JSON.
 */
export interface IutConfig {
  readonly name: string;
  readonly role: ConnectMode;
  /** Passive IUT: where it listens; active IUT: where the tester listens; alternating IUT: where it listens in its passive phase. */
  readonly host: string;
  /** Alternating IUT: where the tester listens for its active connect attempts, at `port` (profile `testerHost`). */
  readonly testerHost: string;
  readonly port: number;
  readonly sessionId: number;
  readonly standard: Standard;
  /** Seconds, as configured in the IUT. */
  readonly timers: TimerSeconds;
  /** Seconds a timer may differ before the verdict is fail. */
  readonly tolerance: number;
  readonly capabilities: {
    readonly multipleConnections: boolean;
    readonly refusal: RefusalOption | null;
    readonly maxMessageLength: number;
  };
  readonly control: 'stdin' | 'manual' | 'none' | 'embedded';
  /**
   * The procedures the IUT can be made to initiate (profile `control.initiates`, every one by
   * default). E37 requires no entity to initiate Deselect, Separate or Linktest: a scenario
   * that needs one the IUT cannot initiate is not applicable, never a fail.
   */
  readonly initiates: readonly ControlProcedure[];
  readonly launch: LaunchConfig | null;
  /** Embedded reference peer only: deliberate deviations, for the tests that prove the suite can fail. */
  readonly faults?: readonly string[];
  /** Embedded reference peer only: legal behaviours other than its defaults, for the test that proves the suite never fails a legal IUT. */
  readonly variants?: readonly string[];
  /** In a parallel run, the worker certifying this instance of a launched IUT (parallel-workers.ts); its command finds it in HSMS_WORKER. */
  readonly worker?: number;
  /** The profile as the user wrote it, flattened, for reports. */
  readonly profileSummary: Readonly<Record<string, string>>;
}

export interface LaunchConfig {
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly restart: 'per-scenario' | 'once';
  readonly cwd: string | null;
  /** Seconds to wait for the launched IUT to listen or connect. */
  readonly readyTimeout: number;
}

/** Parameters of the embedded reference peer when it certifies itself: short timers keep the run fast. */
export const SELF_TEST_TIMERS: TimerSeconds = { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 };
export const SELF_TEST_TOLERANCE = 0.2;

/** The roles `npm start` certifies the embedded reference peer in, in this order. */
export const EMBEDDED_ROLES: readonly ConnectMode[] = ['passive', 'active', 'alternating'];

/** What else the embedded peer can be made to do (src/peer/variants.ts) and how it refuses further connections. */
export interface LegalBehaviour {
  readonly variants?: readonly string[];
  readonly refusal?: RefusalOption;
}

export function embeddedConfig(role: ConnectMode, standard: Standard, faults: readonly string[] = [], legal: LegalBehaviour = {}): IutConfig {
  const refusal = legal.refusal ?? 'a';
  const variants = legal.variants ?? [];
  return {
    name: `hsms-conformance reference peer (${role}${standard === 'hsms-ss' ? ', HSMS-SS' : ''})`,
    role,
    host: '127.0.0.1',
    // The profile's default (a second loopback address), as a user's alternating IUT gets it.
    testerHost: String(profileSchema().properties?.testerHost?.default),
    port: 0,
    sessionId: 0,
    standard,
    timers: SELF_TEST_TIMERS,
    tolerance: SELF_TEST_TOLERANCE,
    capabilities: { multipleConnections: false, refusal, maxMessageLength: 1024 * 1024 },
    control: 'embedded',
    initiates: schemaEnum('procedure') as readonly ControlProcedure[],
    launch: null,
    faults,
    variants,
    profileSummary: {
      name: 'embedded reference peer',
      role,
      standard,
      timers: Object.entries(SELF_TEST_TIMERS)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
      'capabilities.refusal': refusal,
      ...(variants.length > 0 ? { variants: variants.join(' ') } : {}),
      'capabilities.multipleConnections': 'false',
      'capabilities.maxMessageLength': String(1024 * 1024),
      control: 'embedded',
    },
  };
}

/** The run's view of a user's profile (CONTRACTS.md section 3). */
export function configFromProfile(p: IutProfile): IutConfig {
  return {
    name: p.name,
    role: p.role,
    host: p.host,
    testerHost: p.testerHost,
    port: p.port,
    sessionId: p.sessionId,
    standard: p.standard,
    timers: p.timers,
    tolerance: p.tolerance,
    capabilities: { multipleConnections: p.capabilities.multipleConnections, refusal: p.capabilities.refusal ?? null, maxMessageLength: p.capabilities.maxMessageLength },
    control: p.control,
    initiates: p.initiates,
    launch: p.launch ? { command: p.launch.command, env: p.launch.env, restart: p.launch.restart, cwd: p.launch.cwd ?? null, readyTimeout: p.launch.readyTimeout } : null,
    profileSummary: describeProfile(p),
  };
}
