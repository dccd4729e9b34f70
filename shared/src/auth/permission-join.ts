/**
 * The decision of a join for a row in permission mode: which items the channel carries (its
 * name's parameters), which fields the row sends, then Directus' answer for that caller. Every
 * refusal carries its reason for the log and the dry-run; the client only ever sees the one 403.
 */
import type { ChannelRow } from '../channels/row.js';
export { decidedByPermissions } from '../channels/row.js';
import { channelScope, decideItems, sentFields, type PermissionDecision, type PermissionSchema } from './permission-decision.js';
import type { ReadAccess } from './read-access.js';

export async function decidePermissionJoin(
	row: Pick<ChannelRow, 'collection' | 'fields'>,
	params: Record<string, string>,
	access: ReadAccess,
	schema: PermissionSchema,
	explain = false,
): Promise<PermissionDecision> {
	const sent = sentFields(schema, row.collection, row.fields);
	if ('problem' in sent) return { granted: false, reason: sent.problem };
	const scope = channelScope(schema, row.collection, params);
	if ('problem' in scope) return { granted: false, reason: scope.problem };
	if (scope.kind === 'items') return decideItems(await access.rules(row.collection), scope.filter, sent.fields, row.collection);
	const item = `${row.collection} item ${scope.key}`;
	if (await access.item(row.collection, scope.key, sent.fields)) {
		return { granted: true, scope: 'item', fields: sent.fields, reason: `Directus' read check allows ${item} with fields ${sent.fields.join(', ')}` };
	}
	if (!explain) return { granted: false, reason: `Directus' read check refuses ${item} with fields ${sent.fields.join(', ')}` };
	// For the admin's dry-run: the item itself, or which field.
	if (!(await access.item(row.collection, scope.key, []))) return { granted: false, reason: `Directus' read check refuses ${item} (no such item, or no read permission that covers it)` };
	for (const field of sent.fields) {
		if (!(await access.item(row.collection, scope.key, [field]))) return { granted: false, field, reason: `Directus' read check refuses field "${field}" of ${item}` };
	}
	return { granted: false, reason: `Directus' read check refuses ${item} with fields ${sent.fields.join(', ')} together` };
}
