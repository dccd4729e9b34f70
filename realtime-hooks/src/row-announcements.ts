/**
 * Channel row changes announced between the instances of one project over Directus' own bus:
 * the messenger its schema cache and Flows reload with. Directus makes it a Redis pub/sub bus
 * when it runs with Redis (`REDIS`, or any `REDIS_*` variable, unless `REDIS_ENABLED=false`),
 * and a bus local to the process otherwise; only the Redis one reaches other instances, so
 * without Redis nothing is announced and the registry's content check does the work alone.
 *
 * A message says nothing but "rows changed" and who said it: the receiver checks the rows'
 * signature before it reloads anything, at most once per ANNOUNCED_CHECK_GAP_MS, so a message
 * from anyone else who can publish on that Redis (or a flood of them) costs a small query, not a
 * reload per message. Its own messages, which Redis hands back too, an instance ignores.
 */
import { randomUUID } from 'node:crypto';
import { directusRunsWithRedis, loadDirectusModule, type ChannelPeers } from '@directus-realtime/shared';

/** On Directus' bus, under its namespace (`directus:bus:` by default). */
export const ROWS_BUS_CHANNEL = 'realtime-pusher:channel-rows';

interface Bus {
	publish(channel: string, message: unknown): Promise<void>;
	subscribe(channel: string, callback: (message: unknown) => void): Promise<void>;
}

export interface RowAnnouncement {
	origin: string;
}

/** Whether `message` is one of ours, and from another instance than `self`. */
export function fromAnotherInstance(message: unknown, self: string): boolean {
	if (typeof message !== 'object' || message === null) return false;
	const origin = (message as { origin?: unknown }).origin;
	return typeof origin === 'string' && origin.length > 0 && origin.length <= 64 && origin !== self;
}

/** Directus' bus when it is a Redis one; null without Redis or when it cannot be found. */
async function loadRedisBus(log: (message: string) => void): Promise<Bus | null> {
	const [busModule, runsWithRedis] = await Promise.all([loadDirectusModule<{ useBus?: () => Bus }>('bus/index'), directusRunsWithRedis()]);
	if (runsWithRedis === null || typeof busModule?.useBus !== 'function') {
		log("realtime: Directus' bus was not found; other instances notice channel row changes within RT_CHANNELS_CHECK_INTERVAL only");
		return null;
	}
	return runsWithRedis ? busModule.useBus() : null;
}

/**
 * Peers over Directus' Redis bus, or null when Directus runs without Redis. Announcements made
 * in one turn of the event loop go out as one message (an import of many rows announces once).
 */
export async function directusBusPeers(log: { warn: (message: string) => void }, loadBus = () => loadRedisBus(log.warn)): Promise<ChannelPeers | null> {
	const bus = await loadBus();
	if (!bus) return null;
	const self = randomUUID();
	let pending = false;
	return {
		announce() {
			if (pending) return;
			pending = true;
			setImmediate(() => {
				pending = false;
				const message: RowAnnouncement = { origin: self };
				bus.publish(ROWS_BUS_CHANNEL, message).catch((error: Error) => log.warn(`realtime: announcing a channel row change to other instances failed: ${error.message}`));
			});
		},
		listen(heard) {
			bus
				.subscribe(ROWS_BUS_CHANNEL, (message) => {
					if (fromAnotherInstance(message, self)) heard();
				})
				.catch((error: Error) => log.warn(`realtime: listening for other instances' channel row changes failed: ${error.message}`));
		},
	};
}
