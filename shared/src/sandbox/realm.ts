/**
 * The code that prepares each pooled isolate's single context, run once when the isolate is
 * created. It is JavaScript for the isolate, not for the host, hence a string.
 *
 * Why one shared, frozen realm rather than a context per script or per run: a new context costs
 * ~0.35 ms and a few hundred KB, twenty-odd times the ~15 us of a run, and a context per script would
 * multiply memory by the number of channels times isolates. Instead the realm is hardened once:
 * - what no script needs and that would share memory or outlive a run is deleted
 *   (SharedArrayBuffer, Atomics, WebAssembly, WeakRef, FinalizationRegistry), and so are RegExp's
 *   legacy statics (RegExp.$1, lastMatch...), which would hand the last match to the next run;
 * - then the global object and every intrinsic reachable from it, or only from instances
 *   (iterator, generator, async-function and Intl segment prototypes), are frozen, so nothing a
 *   script writes there survives the run or is seen by another script. The few inherited
 *   properties scripts commonly assign on their own objects (`err.name = ...`, `obj.toString =
 *   ...`) become accessors that define the property on the instance instead of failing;
 * - a script is compiled once into a function whose parameters are its context names; the
 *   function object is frozen too (a sloppy script could reach it as `arguments.callee`), and
 *   every run passes fresh copies, so locals and the context start clean each time;
 * - host calls of a run carry its token; calls and promise settlements of a finished run are
 *   refused or dropped, so leftover promise chains never run again.
 * Everything below is strict code; a script (sloppy unless it says otherwise) that walks
 * `caller` gets null at this code's frames.
 *
 * Bindings: $0 hostCall(token, name, argsJson), $1 report(token, outcome) and $2 hostLog(token,
 * level, text) are host callbacks; the returned object's functions are called by the host
 * (isolate-slot.ts). Every script's last parameter is `console` (compile.ts), a fresh object per
 * run whose methods send one text line each to hostLog (cut to MAX_LOG_TEXT characters here,
 * bounded per run by the host; once the host answers false, the run's console goes quiet). Log
 * lines are not host calls: they do not count against RT_SCRIPT_MAX_CALLS.
 * Outcomes: `u` undefined, `v<json>` a value, `e<json {name, message, line, column}>` an error.
 */
export const REALM_FILENAME = 'sandbox-realm.js';

/** File name scripts are compiled under; their stack frames are found by it. */
export const SCRIPT_FILENAME = 'script.js';

export const REALM_SOURCE = String.raw`
'use strict';
const hostCall = $0;
const report = $1;
const hostLog = $2;

const { freeze, getPrototypeOf, getOwnPropertyDescriptor, defineProperty } = Object;
const { apply, ownKeys } = Reflect;
const { stringify, parse } = JSON;
const PromiseCtor = Promise;
const promiseResolve = Promise.resolve;
const promiseThen = Promise.prototype.then;
const MAX_MESSAGE = 2000;
const MAX_LOG_TEXT = 1024;
const SCRIPT_FRAME = /^\s+at (?:.*[ (])?script\.js:(\d+):(\d+)\)?$/m;

// 1. Take out what scripts do not need and what would outlive a run or share memory.
for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'WeakRef', 'FinalizationRegistry']) {
  delete globalThis[name];
}
for (const key of ['input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$\x60', 'rightContext', "$'",
  '$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9']) {
  delete RegExp[key];
}

// 2. Inherited properties that scripts commonly assign on their own objects: once frozen, plain
// assignment would fail ("override mistake"), so these become accessors that define the
// property on the instance.
function allowOverride(proto, key) {
  const desc = getOwnPropertyDescriptor(proto, key);
  if (desc === undefined || !('value' in desc)) return;
  const value = desc.value;
  defineProperty(proto, key, {
    enumerable: desc.enumerable,
    configurable: false,
    get() { return value; },
    set(next) {
      if (this === proto) throw new TypeError('Cannot assign to read only property ' + String(key));
      if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
      defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
    },
  });
}
for (const key of ['toString', 'valueOf', 'toLocaleString']) allowOverride(Object.prototype, key);
for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) {
  allowOverride(E.prototype, 'name');
  allowOverride(E.prototype, 'message');
}

// 3. Freeze the global object and every intrinsic, including those reachable only from instances.
const hidden = [];
const protoOf = (value) => getPrototypeOf(value);
hidden.push(protoOf(function* () {}), protoOf(async function () {}), protoOf(async function* () {}));
hidden.push(protoOf((function* () {})()), protoOf((async function* () {})()));
hidden.push(protoOf([][Symbol.iterator]()), protoOf(new Map()[Symbol.iterator]()), protoOf(new Set()[Symbol.iterator]()));
hidden.push(protoOf(''[Symbol.iterator]()), protoOf(/a/[Symbol.matchAll]('a')));
if (typeof Iterator === 'function' && typeof Iterator.from === 'function') {
  hidden.push(protoOf(Iterator.from({ next() { return { done: true, value: undefined }; } })));
}
if (typeof [].values().map === 'function') hidden.push(protoOf([].values().map((x) => x)));
if (typeof Intl === 'object' && typeof Intl.Segmenter === 'function') {
  const segments = new Intl.Segmenter().segment('');
  hidden.push(protoOf(segments), protoOf(segments[Symbol.iterator]()));
}
(function harden(roots) {
  const seen = new Set();
  const todo = roots;
  while (todo.length > 0) {
    const value = todo.pop();
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
    seen.add(value);
    freeze(value);
    todo.push(getPrototypeOf(value));
    for (const key of ownKeys(value)) {
      const desc = getOwnPropertyDescriptor(value, key);
      if (desc !== undefined) todo.push(desc.value, desc.get, desc.set);
    }
  }
})([globalThis, ...hidden]);

// 4. Running scripts.
const scripts = new Map();
const pendingCalls = new Map();

function messageText(value) {
  const text = String(value);
  return text.length > MAX_MESSAGE ? text.slice(0, MAX_MESSAGE) + '\u2026' : text;
}

function describeThrown(error) {
  let name = null;
  let message;
  let line = null;
  let column = null;
  try {
    if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
      const n = error.name;
      const m = error.message;
      const s = error.stack;
      if (typeof n === 'string') name = n;
      message = messageText(m === undefined ? error : m);
      if (typeof s === 'string') {
        const frame = SCRIPT_FRAME.exec(s);
        if (frame !== null) {
          line = +frame[1];
          column = +frame[2];
        }
      }
    } else {
      message = messageText(error);
    }
  } catch (_) {
    name = null;
    message = 'The script threw a value that cannot be read';
  }
  return 'e' + stringify({ name, message, line, column });
}

function encodeResult(value) {
  let json;
  try {
    json = stringify(value);
  } catch (error) {
    throw new TypeError('The script returned a value that cannot be copied: ' + messageText(error && error.message));
  }
  return json === undefined ? 'u' : 'v' + json;
}

function finish(token, outcome) {
  try { report(token, outcome); } catch (_) { /* the host has given up on this run */ }
}

function callHost(token, name, args) {
  let count = args.length;
  while (count > 0 && args[count - 1] === undefined) count--;
  args.length = count;
  const reply = hostCall(token, name, stringify(args));
  if (reply === undefined) return undefined;
  const kind = reply[0];
  const body = reply.slice(1);
  if (kind === 'v') return parse(body);
  if (kind === 'e') throw new Error(body);
  return new PromiseCtor((resolve, reject) => { pendingCalls.set(body, { resolve, reject }); });
}

function logPart(value) {
  if (typeof value === 'string') return value;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (value !== null && typeof value === 'object' && typeof value.stack === 'string' && typeof value.message === 'string') {
    return String(value.name) + ': ' + value.message;
  }
  const json = stringify(value);
  return json === undefined ? String(value) : json;
}

function logText(args) {
  let text = '';
  for (let i = 0; i < args.length && text.length <= MAX_LOG_TEXT; i++) {
    let part;
    try { part = logPart(args[i]); } catch (_) { part = '[value that cannot be printed]'; }
    text += (i > 0 ? ' ' : '') + part;
  }
  return text.length > MAX_LOG_TEXT ? text.slice(0, MAX_LOG_TEXT) : text;
}

function scriptConsole(token) {
  let open = true;
  const writer = (level) => (...args) => {
    if (!open) return;
    const text = logText(args);
    try { open = hostLog(token, level, text) === true; } catch (_) { open = false; }
  };
  return freeze({ log: writer('log'), info: writer('info'), warn: writer('warn'), error: writer('error'), debug: writer('debug') });
}

function hostFunction(token, name) {
  return (...args) => callHost(token, name, args);
}

return {
  register(id, fn, namesJson, hostJson) {
    freeze(fn);
    const prototype = getOwnPropertyDescriptor(fn, 'prototype');
    if (prototype !== undefined && prototype.value !== null && typeof prototype.value === 'object') freeze(prototype.value);
    scripts.set(id, { fn, names: parse(namesJson), host: parse(hostJson) });
  },

  forget(id) {
    scripts.delete(id);
  },

  run(id, token, contextJson) {
    // One run at a time per isolate: whatever is still pending belongs to a finished run.
    pendingCalls.clear();
    const script = scripts.get(id);
    const context = parse(contextJson);
    const names = script.names;
    const host = script.host;
    const args = [];
    for (let i = 0; i < names.length; i++) args.push(host[i] ? hostFunction(token, names[i]) : context[names[i]]);
    args.push(scriptConsole(token));
    try {
      const result = apply(script.fn, undefined, args);
      if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
        apply(promiseThen, apply(promiseResolve, PromiseCtor, [result]), [
          (value) => {
            let outcome;
            try { outcome = encodeResult(value); } catch (error) { outcome = describeThrown(error); }
            finish(token, outcome);
          },
          (error) => finish(token, describeThrown(error)),
        ]);
        return undefined;
      }
      return encodeResult(result);
    } catch (error) {
      return describeThrown(error);
    }
  },

  settle(callId, reply) {
    const pending = pendingCalls.get(callId);
    if (pending === undefined) return;
    pendingCalls.delete(callId);
    const kind = reply[0];
    if (kind === 'v') pending.resolve(parse(reply.slice(1)));
    else if (kind === 'u') pending.resolve(undefined);
    else pending.reject(new Error(reply.slice(1)));
  },
};
`;
