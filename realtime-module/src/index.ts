/**
 * The bundle's Data Studio module (`/admin/realtime`, admins only): the channel rows with their
 * counters, the publish queue and the Pusher server's health, a live tail of outgoing events and
 * the publisher / authorizer dry-runs. It reads the admins-only endpoints of `realtime-endpoints`
 * through the Studio's own API client; the server refuses everyone else whatever the app shows.
 */
import { defineModule } from '@directus/extensions-sdk';
import ChannelsView from './channels-view.vue';
import DryRunView from './dry-run-view.vue';
import TailView from './tail-view.vue';

export default defineModule({
	id: 'realtime',
	name: 'Realtime',
	icon: 'cell_tower',
	routes: [
		{ path: '', component: ChannelsView },
		{ path: 'tail', component: TailView },
		{ path: 'dry-run', component: DryRunView },
	],
	// As Directus' own Flows module: the module exists for admins only.
	preRegisterCheck: (user) => user.admin_access === true,
});
