/**
 * A publisher dry-run: the row's publisher (or unsaved text) on one item as it is now, with the
 * same sandbox, limits and checks as a real run, but its events are collected, never queued.
 */
import { sourceCollectionProblem } from '../channels/validate.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { RealtimeError } from '../errors.js';
import type { Item } from '../items/types.js';
import { runPublisher } from '../publisher/pipeline.js';
import { runFailure, ScriptLog } from '../sandbox/index.js';
import type { ScriptRunner } from '../scripts.js';
import { dryRunChannel, type RowLoader } from './dry-run-channel.js';
import type { PublisherDryRun } from './dry-run-request.js';
import type { PublisherDryRunAnswer } from '../wire.js';

export interface PublisherDryRunDeps {
	registry: ChannelRegistry;
	scripts: ScriptRunner;
	loadRow: RowLoader;
	collectionExists(collection: string): boolean;
	/** The item with these fields, without secrets; null when there is none with this key. */
	readItem(collection: string, key: string | number, fields: string[]): Promise<Item | null>;
	maxPayloadBytes: number;
	encryption: boolean;
	envelope: boolean;
	/** Who asks: the run's meta.user. */
	user: string | null;
}

export async function dryRunPublisher(request: PublisherDryRun, deps: PublisherDryRunDeps): Promise<PublisherDryRunAnswer> {
	const unsaved = 'row' in request.source ? {} : { collection: request.collection!, fields: request.fields! };
	const channel = await dryRunChannel(request.source, 'publisher', deps.loadRow, unsaved);
	const problem = sourceCollectionProblem(channel.row.collection, deps.collectionExists);
	if (problem) throw new RealtimeError('INVALID_PAYLOAD', `collection: ${problem}`);
	const item = await deps.readItem(channel.row.collection, request.key, channel.row.fields);
	if (item === null) throw new RealtimeError('NOT_FOUND', `no item ${JSON.stringify(request.key)} in ${channel.row.collection}`);
	const events: PublisherDryRunAnswer['events'] = [];
	const log = new ScriptLog();
	const quiet = () => undefined;
	const failure = await runPublisher(
		{
			scripts: deps.scripts,
			enqueue: (event) => events.push({ channel: event.channel, event: event.name, data: JSON.parse(event.data) }),
			maxPayloadBytes: deps.maxPayloadBytes,
			encryption: deps.encryption,
			envelope: deps.envelope,
			log: { warn: quiet, error: quiet },
		},
		await deps.registry.snapshot(),
		{
			channel,
			event: { collection: channel.row.collection, action: request.action, keys: [request.key], changed: request.changed, user: deps.user, socketId: null },
			key: request.key,
			item,
		},
		log,
	);
	return { events, logs: log.lines, error: failure === null ? null : runFailure(failure) };
}
