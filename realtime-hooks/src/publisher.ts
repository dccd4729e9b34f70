/**
 * Hands Directus' items events to the item-event publisher (shared/src/publisher/items-events.ts),
 * which decides what is read and published. Actions are fire-and-forget in Directus, so
 * publishing never fails the request. What is Directus' own stays here: which events exist
 * (`items.*` and the system collections that may be sources, `users.*`, `files.*`,
 * `comments.*`…: Directus' event scope for each, same meta; an upload emits `files.upload`
 * instead of `files.create`), where an event keeps its keys, writer and context, and that a
 * write's `items.update` filter and action share one `keys` array.
 */
import type { RegisterFunctions } from '@directus/types';
import { SYSTEM_SOURCES, type Accountability, type ItemsEventPublisher, type Item, type PrimaryKey, type Writer } from '@directus-realtime/shared';
import { socketIdOf } from './request-context.js';

function writerOf(accountability: unknown): Writer {
	return { user: (accountability as Partial<Accountability> | null | undefined)?.user ?? null, socketId: socketIdOf(accountability) };
}

export function registerPublisherHooks({ filter, action }: Pick<RegisterFunctions, 'filter' | 'action'>, publisher: ItemsEventPublisher): void {
	for (const scope of ['items', ...Object.values(SYSTEM_SOURCES)]) registerScope(scope);

	// A multipart upload creates the file with its events off, then says `files.upload`.
	action('files.upload', (meta, context) => publisher.created('directus_files', meta.key, writerOf(context.accountability), context));

	function registerScope(scope: string): void {
		action(`${scope}.create`, (meta, context) => publisher.created(meta.collection, meta.key, writerOf(context.accountability), context));

		filter(`${scope}.update`, (payload, meta, context) => {
			publisher.updating(meta.keys, context);
			return payload;
		});

		action(`${scope}.update`, (meta, context) =>
			publisher.updated(meta.collection, meta.keys, (meta.payload as Item | undefined) ?? null, writerOf(context.accountability), context),
		);

		// Directus runs this filter before its own permission check (the publisher asks it first).
		filter(`${scope}.delete`, async (keys, meta, context) => {
			await publisher.deleting(meta.collection as string, keys as PrimaryKey[], context);
			return keys;
		});

		action(`${scope}.delete`, (meta, context) => publisher.deleted(meta.collection, meta.keys, writerOf(context.accountability)));
	}
}
