/**
 * Directus' own collections as channel sources. Directus emits their changes as
 * `<name without directus_>.create/update/delete` (its ItemsService's event scope), with the
 * same meta as `items.*`; uploads emit `files.upload` instead of `files.create`.
 *
 * Allowed: collections of content and people, whose rows carry no credential once redacted
 * (redact.ts removes password, token, tfa_secret, auth_data and every concealed or hashed field).
 * Refused, each with its reason: collections that hold credentials or secrets, the audit trail
 * (which copies other collections' data, channel scripts included), the schema and the access
 * rules, and the bundle's own `realtime_channels`.
 */
export const SYSTEM_SOURCES: Readonly<Record<string, string>> = {
	directus_users: 'users',
	directus_files: 'files',
	directus_folders: 'folders',
	directus_comments: 'comments',
	directus_notifications: 'notifications',
	directus_roles: 'roles',
	directus_presets: 'presets',
	directus_dashboards: 'dashboards',
	directus_panels: 'panels',
	directus_translations: 'translations',
};

const REFUSED: Readonly<Record<string, string>> = {
	directus_sessions: 'it holds login sessions (their tokens)',
	directus_shares: 'it holds share passwords and links that grant access',
	directus_settings: 'it holds project settings, API keys among them',
	directus_activity: 'it is the audit log, and records what every request did',
	directus_revisions: 'it copies the data of other collections, channel scripts included',
	directus_versions: 'it holds drafts of items of any collection, channel rows included',
	directus_migrations: 'it records the schema migrations',
	directus_extensions: 'it records installed extensions',
	directus_permissions: 'it holds the access rules',
	directus_policies: 'it holds the access rules',
	directus_access: 'it holds the access rules',
	directus_flows: 'it holds automations, their secrets included',
	directus_operations: 'it holds automations, their secrets included',
	directus_webhooks: 'it holds automations, their secrets included',
	directus_deployments: 'it holds deployment credentials',
	directus_collections: 'it is the schema; its changes are not item events',
	directus_fields: 'it is the schema; its changes are not item events',
	directus_relations: 'it is the schema; its changes are not item events',
};

/** Why a system collection cannot be a source, or null when it can (or is not a system one). */
export function systemSourceProblem(collection: string): string | null {
	if (!collection.startsWith('directus_') || Object.hasOwn(SYSTEM_SOURCES, collection)) return null;
	const allowed = Object.keys(SYSTEM_SOURCES).join(', ');
	const why = REFUSED[collection] ?? 'it is not one whose changes Directus reports as item events';
	return `"${collection}" cannot be a source: ${why}. System collections that can: ${allowed}`;
}
