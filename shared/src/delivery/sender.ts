/** The batch sender the publish queue uses: queued events, as Pusher's batch API takes them. */
import type { PusherApp } from '../pusher/app.js';
import type { BatchSender } from './queue.js';

export function batchSender(app: PusherApp): BatchSender {
	return (batch) => app.triggerBatch(batch.map((e) => ({ channel: e.channel, name: e.name, data: e.data, ...(e.socketId ? { socket_id: e.socketId } : {}) })));
}
