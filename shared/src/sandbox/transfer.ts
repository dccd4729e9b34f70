/**
 * How values cross between Directus and a script: as JSON text, in both directions. Only strings
 * (and the primitives undefined/number/string) ever pass the isolate boundary, so a script can
 * never hold a live host object or host function, the host never runs a script's getter, proxy
 * trap or toJSON (the isolate serialises its own values, inside its time limit), and no host Error
 * with its stack can slip into a script. It is also the fastest copy measured (see
 * bench/sandbox.bench.ts). The price is JSON's data model: Dates arrive as ISO strings, undefined
 * object members are dropped, functions vanish, BigInt and cycles are refused.
 *
 * Replies to the isolate are tagged strings: `v<json>` a value, `u` undefined, `e<message>` an
 * error, `p<id>` a pending host promise that the host settles later.
 */

const MAX_MESSAGE_LENGTH = 2000;

/** The run's context, for the isolate. Throws a TypeError for values JSON cannot carry. */
export function encodeContext(context: Record<string, unknown>): string {
	try {
		return JSON.stringify(context);
	} catch (error) {
		throw new TypeError(`The script context cannot be copied into the sandbox: ${messageOf(error)}`);
	}
}

/** A host function's result, for the isolate; undefined stays undefined (the common case). */
export function encodeReply(value: unknown): string | undefined {
	if (value === undefined) return undefined;
	let json: string | undefined;
	try {
		json = JSON.stringify(value);
	} catch (error) {
		return encodeError(`The host function returned a value that cannot be copied: ${messageOf(error)}`);
	}
	return json === undefined ? undefined : `v${json}`;
}

/** Like encodeReply, for a settled host promise (which must always send something). */
export function encodeSettlement(value: unknown): string {
	return encodeReply(value) ?? 'u';
}

export function encodeError(message: string): string {
	return `e${message}`;
}

/** The answer to a host call that arrives after its script run has ended. */
export const RUN_ENDED = encodeError('The script run this call belongs to has ended');

/**
 * JSON produced by a script, parsed on the host. JSON.parse only creates plain data; `__proto__`
 * keys are dropped as well so that a later Object.assign or merge by the caller cannot turn them
 * into a prototype change.
 */
export function decodeFromScript(json: string): unknown {
	return json.includes('"__proto__"') ? JSON.parse(json, withoutProto) : JSON.parse(json);
}

function withoutProto(key: string, value: unknown): unknown {
	return key === '__proto__' ? undefined : value;
}

/** The message of something thrown on the host, without its stack. */
export function messageOf(error: unknown): string {
	let message: string;
	try {
		message = error instanceof Error ? error.message : String(error);
	} catch {
		message = 'unknown error';
	}
	return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}
