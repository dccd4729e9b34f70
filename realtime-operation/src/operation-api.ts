/**
 * The Flows operation `realtime-trigger` (server side): sends one event through the bundle's
 * checks and publish queue. Its output is `{ sent: true, channel, event }`, or
 * `{ sent: false, reason }` when the checks refuse (a bad name, a payload too large, an
 * encrypted channel without key, a name no enabled channel row decides): the operation still succeeds then, so the Flow can branch on
 * `{{$last.sent}}` instead of stopping. Only a bundle that cannot start (its configuration is
 * wrong) makes the operation fail.
 */
import type { OperationApiConfig } from '@directus/types';
import { flowEvent, realtimeRuntime, type FlowSendOptions } from '@directus-realtime/shared';

const operationApi: OperationApiConfig<FlowSendOptions> = {
	id: 'realtime-trigger',
	handler: async (options, { env, database, logger }) => {
		const runtime = realtimeRuntime({ env, database, logger });
		const send = flowEvent(options ?? {}, {
			maxPayloadBytes: runtime.limits.maxPayloadBytes,
			...runtime.capabilities,
			snapshot: await runtime.registry.snapshot(),
		});
		if (!send.ok) {
			logger.warn(`realtime: the Flows operation realtime-trigger refused an event: ${send.reason}`);
			return { sent: false, reason: send.reason };
		}
		runtime.publish(send.event);
		return { sent: true, channel: send.event.channel, event: send.event.name };
	},
};

export default operationApi;
