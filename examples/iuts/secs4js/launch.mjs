#!/usr/bin/env node
// Launcher that turns the secs4js library (https://github.com/LostCat-Qian/secs4js, npm
// `secs4js`) into an IUT the conformance harness can start, drive and stop.
//
// What it does, and nothing more:
//   1. Reads the HSMS_* environment the harness sets (CONTRACTS.md section 3) and builds a
//      secs4js HSMS-SS communicator with exactly those parameters:
//        HSMS_ROLE        passive -> HsmsPassiveCommunicator (equipment side, listens)
//                         active  -> HsmsActiveCommunicator  (host side, connects, selects)
//                         (secs4js has no alternating mode: exits 2)
//        HSMS_HOST/PORT   `ip` / `port`  (where the passive side listens, or the active side connects)
//        HSMS_SESSION_ID  `deviceId` (the session id of data messages)
//        HSMS_T3..T8      `timeoutT3` .. `timeoutT8`, in seconds (secs4js takes seconds, decimals work)
//      Optional: SECS4JS_LINKTEST_MS sets the active side's `linkTestInterval` (its periodic
//      Linktest, default 5000 ms in secs4js); SECS4JS_LOG=1 turns on secs4js's own logger
//      (console output on stdout, its files under the system temporary directory).
//   2. Application layer (not HSMS, so not under test): answers S1F1 W with S1F2 <L[0]>, and any
//      other primary with the W-bit with function + 1 and no text, like the reference peer, so
//      the suite's data-message scenarios have a counterpart.
//   3. Carries out the harness's standard-input commands (CONTRACTS.md section 1) through the
//      public secs4js API, where one exists:
//        select     -> communicator.sendSelectReq()
//        linktest   -> communicator.sendLinkTestReq()
//        separate   -> communicator.sendSeparateReq()
//        send S F [W] [hex] -> communicator.send(S, F, W, item)  (the hex text must be one SECS-II
//                      item, because send() takes an item, not raw bytes)
//        deselect   -> no API (secs4js implements HSMS-SS, which does not use Deselect)
//        disconnect -> no API (close() stops the whole communicator; nothing drops one connection)
//      A command without an API, or one secs4js refuses in the current state (it throws, e.g.
//      "HSMS not selected"), gets one line on standard error and nothing else happens; for a
//      command without an API that line says "cannot <command>", which the harness reads as
//      "this IUT cannot initiate that procedure" (the scenario is then not applicable).
//   4. Writes one line per event to standard error (the harness keeps it as evidence), including
//      promise rejections secs4js leaves unhandled (which would otherwise end the process), and
//      on SIGTERM / SIGINT closes the communicator and exits 0.

import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The HSMS modules alone, not the package index: the index also loads secs4js's SECS-I serial
// support (serialport), which doubles the start-up CPU of a launcher that `restart: per-scenario`
// starts once per scenario. secs4js 0.4.7 has no "exports" map, so these paths are public files.
import { HsmsActiveCommunicator } from 'secs4js/lib/hsms/HsmsActiveCommunicator.js';
import { HsmsPassiveCommunicator } from 'secs4js/lib/hsms/HsmsPassiveCommunicator.js';
import { L } from 'secs4js/lib/helper/Secs2ItemHelper.js';
import { Secs2ItemParser } from 'secs4js/lib/core/secs2item/Secs2ItemParser.js';

/** One line on standard error, prefixed so it is easy to tell apart in the harness's evidence. */
function log(text) {
  process.stderr.write(`[secs4js-iut] ${text}\n`);
}

/** Reads a variable the harness must set; a missing or malformed one is a usage error (exit 2). */
function env(name, parse = (v) => v) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    log(`${name} is not set (this launcher is started by hsms-conformance, which sets HSMS_*)`);
    process.exit(2);
  }
  const value = parse(raw);
  if (value === undefined || Number.isNaN(value)) {
    log(`${name}=${raw} is not valid`);
    process.exit(2);
  }
  return value;
}
const number = (v) => (/^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

const role = env('HSMS_ROLE');
if (role !== 'passive' && role !== 'active') {
  log(`HSMS_ROLE=${role}: secs4js offers only passive and active HSMS-SS communicators`);
  process.exit(2);
}

const config = {
  ip: env('HSMS_HOST'),
  port: env('HSMS_PORT', number),
  deviceId: env('HSMS_SESSION_ID', number),
  isEquip: role === 'passive', // HSMS-SS: the equipment is passive, the host active
  name: `secs4js-${role}`,
  timeoutT3: env('HSMS_T3', number),
  timeoutT5: env('HSMS_T5', number),
  timeoutT6: env('HSMS_T6', number),
  timeoutT7: env('HSMS_T7', number),
  timeoutT8: env('HSMS_T8', number),
};
if (process.env.SECS4JS_LINKTEST_MS) config.linkTestInterval = Number(process.env.SECS4JS_LINKTEST_MS);
if (process.env.SECS4JS_LOG === '1') config.log = { enabled: true, console: true, detailLevel: 'trace', baseDir: join(tmpdir(), 'secs4js-iut-logs') };

const comm = role === 'passive' ? new HsmsPassiveCommunicator(config) : new HsmsActiveCommunicator(config);

// Events. An 'error' listener is required: secs4js emits 'error' for protocol problems (T7, T8,
// undecodable messages), and an EventEmitter without one would crash the process.
comm.on('connected', () => log('connected (TCP)'));
comm.on('selected', () => log('selected'));
comm.on('deselected', () => log('deselected'));
comm.on('disconnected', () => log('disconnected'));
comm.on('error', (err) => log(`error: ${err.message}`));
// secs4js sends some responses from async methods nobody awaits (sendReject, sendSelectRsp, ...);
// when one throws, Node would end the process. Log it and keep the IUT running instead, so the
// wire shows what secs4js itself does (here: nothing is sent) rather than a crashed process.
process.on('unhandledRejection', (err) => log(`unhandled rejection inside secs4js: ${err instanceof Error ? err.message : String(err)}`));

// Application layer: S1F1 W -> S1F2 <L[0]>; any other primary with W -> function + 1, no text.
comm.on('message', (msg) => {
  log(`received S${msg.stream}F${msg.func}${msg.wBit ? ' W' : ''} system bytes ${msg.systemBytes}`);
  if (!msg.wBit) return;
  const body = msg.stream === 1 && msg.func === 1 ? L() : null;
  comm.reply(msg, msg.stream, (msg.func + 1) & 0xff, body).catch((err) => log(`reply failed: ${err.message}`));
});

/** Runs one standard-input command line through the secs4js API. */
function execute(line) {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return;
  const [verb, ...args] = words;
  const run = (what, promise) => {
    log(`command ${line.trim()}: ${what}`);
    promise.then(
      (result) => log(`command ${line.trim()}: done${result !== undefined && result !== null ? ` (${describe(result)})` : ''}`),
      (err) => log(`command ${line.trim()}: secs4js refused or failed: ${err.message}`),
    );
  };
  switch (verb.toLowerCase()) {
    case 'select':
      return run('sendSelectReq()', comm.sendSelectReq());
    case 'linktest':
      return run('sendLinkTestReq()', comm.sendLinkTestReq());
    case 'separate':
      return run('sendSeparateReq()', comm.sendSeparateReq());
    case 'deselect':
      return log(`command deselect: cannot deselect: secs4js has no API to send Deselect.req (HSMS-SS does not use Deselect); nothing done`);
    case 'disconnect':
      return log(`command disconnect: cannot disconnect: secs4js has no API to drop the TCP connection while staying open (close() stops the communicator); nothing done`);
    case 'send': {
      const stream = Number(args[0]);
      const fn = Number(args[1]);
      let rest = args.slice(2);
      const wBit = rest[0]?.toUpperCase() === 'W';
      if (wBit) rest = rest.slice(1);
      const hex = rest[0] ?? '';
      if (!/^\d+$/.test(args[0] ?? '') || !/^\d+$/.test(args[1] ?? '') || stream > 127 || fn > 255 || rest.length > 1 || !/^([0-9a-fA-F]{2})*$/.test(hex)) {
        return log(`command '${line.trim()}': usage: send <stream 0-127> <function 0-255> [W] [hex-text]; nothing done`);
      }
      let body = null;
      if (hex.length > 0) {
        try {
          const bytes = Buffer.from(hex, 'hex');
          const { item, consumed } = Secs2ItemParser.fromBuffer(bytes);
          if (consumed !== bytes.length) throw new Error(`${bytes.length - consumed} bytes after the first item`);
          body = item;
        } catch (err) {
          return log(`command '${line.trim()}': not supported: secs4js send() takes one SECS-II item and this text is not one (${err.message}); nothing done`);
        }
      }
      return run(`send(${stream}, ${fn}, ${wBit})`, comm.send(stream, fn, wBit, body));
    }
    default:
      return log(`unknown command '${verb}' (known: select, deselect, linktest, separate, disconnect, send); nothing done`);
  }
}

function describe(result) {
  if (typeof result === 'number') return `status ${result}`;
  if (typeof result.toSml === 'function') return `reply S${result.stream}F${result.func}`;
  return String(result);
}

createInterface({ input: process.stdin }).on('line', execute);
// End of standard input is not a stop signal: the harness stops the IUT with SIGTERM.

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: closing`);
  try {
    // secs4js's passive close() waits for the server to close, which waits for any connection it
    // has not yet selected; bound it so a stop never hangs.
    await Promise.race([comm.close(), new Promise((resolve) => setTimeout(resolve, 500))]);
  } catch (err) {
    log(`close failed: ${err.message}`);
  }
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

log(`starting ${role} HSMS-SS communicator: ${config.ip}:${config.port} device id ${config.deviceId}, T3 ${config.timeoutT3} T5 ${config.timeoutT5} T6 ${config.timeoutT6} T7 ${config.timeoutT7} T8 ${config.timeoutT8} s`);
if (role === 'passive') {
  await comm.open(); // resolves once the server listens
  log(`listening on ${config.ip}:${config.port}`);
} else {
  // open() resolves at the first successful TCP connect; secs4js then sends Select.req itself and
  // re-connects T5 after any failed attempt or lost connection. Do not block stdin on it.
  comm.open().then(() => log('first connection established'), (err) => log(`open failed: ${err.message}`));
}
