// Every compute and volume operation in openapi/, driven over HTTP, each answer validated against
// tempest's own response schema for the negotiated microversion (python3-tempest, read at test
// time). Identity and image have no response schemas in tempest.lib, so they are not here.
import { startHarness, Harness, Session, ApiResponse } from '../support/snapstack-harness';
import { loadSpec } from '../../src/http/openapi-spec';
import { Microversion } from '../../src/http/microversion';
import {
  busyboxImage, COMPUTE, mv, pollUntil, randomName, waitForImage, waitForServer, waitForServerGone, waitForSnapshot, waitForVolume,
} from '../support/compute-helpers';
import { preloadTempestSchemas, tempestSchemas, schemaProblems } from './tempest-schemas';

const VOL = '/volume/v3/{project_id}';
// 2.79: tempest 33's newest compute schemas (2.89's attachment ids have none).
const COMPUTE_VERSIONS = ['2.1', '2.47', '2.79'];
// tempest's volume schemas describe 3.0 (its volume clients send no microversion; the
// snapshots schema notes user_id from 3.41 as not yet covered).
const VOLUME_VERSIONS = ['3.0'];
// Every version at which tempest's compute schemas change (servers_client's schema_versions_info,
// flavors 2.55/2.61/2.75, attachments 2.70/2.79), and the newest Snapstack advertises: the views
// of one server and the flavors, against the schemas tempest picks for that version.
const VIEW_VERSIONS = ['2.3', '2.6', '2.8', '2.9', '2.16', '2.19', '2.26', '2.45', '2.47', '2.48', '2.51', '2.54', '2.55', '2.57', '2.58', '2.61', '2.62', '2.63', '2.70', '2.71', '2.73', '2.75', '2.79', '2.93'];
// Cinder's view changes up to 3.60 (group_id 3.13, group_snapshot_id 3.14, provider_id 3.21,
// user_id 3.41, count 3.45, shared_targets and service_uuid 3.48): tempest's base volume schemas.
const VOLUME_VIEW_VERSIONS = ['3.13', '3.14', '3.21', '3.41', '3.45', '3.48', '3.60'];
let h: Harness;
let demo: Session;
let admin: Session;
let imageId: string;

beforeAll(async () => {
  // The schema dumps run python synchronously: done before any request, so no blocked event
  // loop lets the in-process server close a keep-alive socket the client is about to reuse.
  preloadTempestSchemas('compute', [...COMPUTE_VERSIONS, ...VIEW_VERSIONS]);
  preloadTempestSchemas('volume', [...VOLUME_VERSIONS, '3.57', ...VOLUME_VIEW_VERSIONS]);
  h = await startHarness();
  [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => { await h?.stop(); });

/** Collects every mismatch of one run, so a failure lists them all. */
class Checker {
  readonly problems: string[] = [];
  readonly covered = new Set<string>();
  constructor(private readonly service: 'compute' | 'volume', private readonly version: string) {}

  check(operationId: string, ref: string, res: ApiResponse): ApiResponse {
    this.covered.add(operationId);
    for (const p of schemaProblems(tempestSchemas(this.service, this.version), ref, res)) {
      this.problems.push(`${operationId} (${ref} at ${this.service} ${this.version}): ${p}`);
    }
    return res;
  }
}

function specOperations(file: string): string[] {
  return loadSpec(file).operations.map((o) => o.operationId);
}

/** Compute operations with no tempest schema to check against, and why. */
const COMPUTE_UNCHECKED: Record<string, string> = {
  updateVolumeAttachment: 'from 2.85 only (below, a swap): checked by status in the views block at 2.93',
  updateFlavor: 'from 2.55 only: checked in the views block from 2.55',
  showServerTopology: 'from 2.78 only (tempest 33 has no schema for it): checked by status in the views block',
};

describe.each(COMPUTE_VERSIONS)('compute at %s', (version) => {
  test('every operation answers as tempest\'s schemas say', async () => {
    const c = new Checker('compute', version);
    const hv = mv(version);
    const get = (s: Session, p: string) => s.request('GET', p, undefined, hv);
    c.check('listComputeVersions', 'versions.list_versions', await h.request('GET', '/compute/', undefined, hv));
    c.check('showComputeV21', 'versions.get_one_version', await h.request('GET', `${COMPUTE}/`, undefined, hv));

    c.check('listFlavors', 'flavors.list_flavors', await get(demo, `${COMPUTE}/flavors`));
    c.check('listFlavorsDetail', 'flavors.list_flavors_details', await get(demo, `${COMPUTE}/flavors/detail`));
    c.check('showFlavor', 'flavors.create_update_get_flavor_details', await get(demo, `${COMPUTE}/flavors/1`));
    const flavorId = randomName('fl');
    c.check('createFlavor', 'flavors.create_update_get_flavor_details', await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { name: flavorId, id: flavorId, ram: 64, vcpus: 1, disk: 1 } }, hv));
    c.check('listFlavorExtraSpecs', 'flavors_extra_specs.set_get_flavor_extra_specs', await get(admin, `${COMPUTE}/flavors/${flavorId}/os-extra_specs`));
    // Snapstack's flavors have no extra specs (and no API to set one): a key is always 404.
    c.check('showFlavorExtraSpec', 'status:404', await get(admin, `${COMPUTE}/flavors/${flavorId}/os-extra_specs/nope`));
    c.check('deleteFlavor', 'flavors.delete_flavor', await admin.request('DELETE', `${COMPUTE}/flavors/${flavorId}`, undefined, hv));

    const networks = version === '2.1' ? {} : { networks: 'none' };
    const created = c.check('createServer', 'servers.create_server_with_admin_pass', await demo.request('POST', `${COMPUTE}/servers`, {
      server: { name: randomName('schema'), imageRef: imageId, flavorRef: '1', metadata: { a: 'b' }, ...networks },
    }, hv));
    const id = created.body.server.id;
    await waitForServer(demo, id, ['ACTIVE']);
    c.check('listServers', 'servers.list_servers', await get(demo, `${COMPUTE}/servers`));
    c.check('listServersDetail', 'servers.list_servers_detail', await get(demo, `${COMPUTE}/servers/detail`));
    c.check('showServer', 'servers.get_server', await get(demo, `${COMPUTE}/servers/${id}`));
    c.check('updateServer', 'servers.update_server', await demo.request('PUT', `${COMPUTE}/servers/${id}`, { server: { name: randomName('renamed') } }, hv));

    const meta = `${COMPUTE}/servers/${id}/metadata`;
    c.check('replaceServerMetadata', 'servers.set_server_metadata', await demo.request('PUT', meta, { metadata: { k1: 'v1' } }, hv));
    c.check('updateServerMetadata', 'servers.update_server_metadata', await demo.request('POST', meta, { metadata: { k2: 'v2' } }, hv));
    c.check('listServerMetadata', 'servers.list_server_metadata', await get(demo, meta));
    c.check('setServerMetadataItem', 'servers.set_show_server_metadata_item', await demo.request('PUT', `${meta}/k3`, { meta: { k3: 'v3' } }, hv));
    c.check('showServerMetadataItem', 'servers.set_show_server_metadata_item', await get(demo, `${meta}/k3`));
    c.check('deleteServerMetadataItem', 'servers.delete_server_metadata_item', await demo.request('DELETE', `${meta}/k3`, undefined, hv));
    await checkServerTags(c, version, hv, id);

    const ips = c.check('listServerAddresses', 'servers.list_addresses', await get(demo, `${COMPUTE}/servers/${id}/ips`));
    const label = Object.keys(ips.body.addresses)[0];
    if (label) c.check('showServerAddressesByNetwork', 'servers.list_addresses_by_network', await get(demo, `${COMPUTE}/servers/${id}/ips/${label}`));
    c.check('showServerAddressesByNetwork', 'status:404', await get(demo, `${COMPUTE}/servers/${id}/ips/nope`));
    c.check('showServerPassword', 'servers.show_password', await get(demo, `${COMPUTE}/servers/${id}/os-server-password`));
    c.check('clearServerPassword', 'servers.server_actions_delete_password', await demo.request('DELETE', `${COMPUTE}/servers/${id}/os-server-password`, undefined, hv));
    c.check('listComputeAvailabilityZones', 'availability_zone.list_availability_zone_list', await get(demo, `${COMPUTE}/os-availability-zone`));
    await checkKeypairs(c, hv);
    await checkServerGroups(c, hv);
    c.check('showComputeLimits', 'limits.get_limit', await get(demo, `${COMPUTE}/limits`));

    const vol = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('att') } });
    await waitForVolume(demo, vol.body.volume.id, ['available']);
    const att = `${COMPUTE}/servers/${id}/os-volume_attachments`;
    c.check('attachVolume', 'servers.attach_volume', await demo.request('POST', att, { volumeAttachment: { volumeId: vol.body.volume.id } }, hv));
    await waitForVolume(demo, vol.body.volume.id, ['in-use']);
    c.check('listVolumeAttachments', 'servers.list_volume_attachments', await get(demo, att));
    c.check('showVolumeAttachment', 'servers.show_volume_attachment', await get(demo, `${att}/${vol.body.volume.id}`));
    c.check('detachVolume', 'servers.detach_volume', await demo.request('DELETE', `${att}/${vol.body.volume.id}`, undefined, hv));
    await waitForVolume(demo, vol.body.volume.id, ['available']);

    const action = (body: unknown) => demo.request('POST', `${COMPUTE}/servers/${id}/action`, body, hv);
    c.check('serverAction', 'servers.server_actions_common_schema', await action({ 'os-stop': null }));
    await waitForServer(demo, id, ['SHUTOFF']);
    const snap = c.check('serverAction', 'images.create_image', await action({ createImage: { name: randomName('img') } }));
    const snapId = snap.body?.image_id ?? String(snap.headers.get('location')).split('/').pop();
    await waitForImage(demo, snapId, ['active']);
    c.check('serverAction', 'servers.server_actions_common_schema', await action({ 'os-start': null }));
    await waitForServer(demo, id, ['ACTIVE']);
    c.check('serverAction', 'servers.server_actions_common_schema', await action({ reboot: { type: 'SOFT' } }));
    await waitForServer(demo, id, ['ACTIVE']);
    await checkInstanceActions(c, version, hv, id);


    // The image proxy is gone from 2.36 (404), as in Nova; tempest checks it below that.
    if (version === '2.1') {
      c.check('listImagesProxy', 'images.list_images', await get(demo, `${COMPUTE}/images`));
      c.check('listImagesDetailProxy', 'images.list_images_details', await get(demo, `${COMPUTE}/images/detail`));
      c.check('showImageProxy', 'images.get_image', await get(demo, `${COMPUTE}/images/${snapId}`));
      const im = `${COMPUTE}/images/${snapId}/metadata`;
      c.check('replaceImageMetadataProxy', 'images.image_metadata', await demo.request('PUT', im, { metadata: { k1: 'v1' } }, hv));
      c.check('updateImageMetadataProxy', 'images.image_metadata', await demo.request('POST', im, { metadata: { k2: 'v2' } }, hv));
      const listed = c.check('listImageMetadataProxy', 'images.image_metadata', await get(demo, im));
      expect(listed.body.metadata).toMatchObject({ k1: 'v1', k2: 'v2' });
      c.check('setImageMetadataItemProxy', 'images.image_meta_item', await demo.request('PUT', `${im}/k3`, { meta: { k3: 'v3' } }, hv));
      c.check('showImageMetadataItemProxy', 'images.image_meta_item', await get(demo, `${im}/k3`));
      c.check('deleteImageMetadataItemProxy', 'images.delete', await demo.request('DELETE', `${im}/k3`, undefined, hv));
      expect((await get(demo, `${im}/k3`)).status).toBe(404);
      c.check('deleteImageProxy', 'images.delete', await demo.request('DELETE', `${COMPUTE}/images/${snapId}`, undefined, hv));
    } else {
      await demo.request('DELETE', `/image/v2/images/${snapId}`);
    }
    c.check('deleteServer', 'servers.delete_server', await demo.request('DELETE', `${COMPUTE}/servers/${id}`, undefined, hv));
    await waitForServerGone(demo, id);
    await demo.request('DELETE', `${VOL}/volumes/${vol.body.volume.id}`);

    expect(c.problems).toEqual([]);
    if (version === '2.1') {
      const missing = specOperations('compute.yaml').filter((op) => !c.covered.has(op) && !(op in COMPUTE_UNCHECKED));
      expect(missing).toEqual([]);
    }
  });

  test('issue 11\'s server actions answer as tempest\'s schemas say', async () => {
    const c = new Checker('compute', version);
    const hv = mv(version);
    const networks = version === '2.1' ? {} : { networks: 'none' };
    const created = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('schema'), imageRef: imageId, flavorRef: '1', ...networks } }, hv);
    const id = created.body.server.id;
    await waitForServer(demo, id, ['ACTIVE']);
    const action = (body: unknown) => demo.request('POST', `${COMPUTE}/servers/${id}/action`, body, hv);
    const common = async (body: unknown, status: string) => {
      c.check('serverAction', 'servers.server_actions_common_schema', await action(body));
      await waitForServer(demo, id, [status]);
    };
    c.check('serverAction', 'servers.get_console_output', await action({ 'os-getConsoleOutput': { length: 5 } }));
    await common({ pause: null }, 'PAUSED');
    await common({ unpause: null }, 'ACTIVE');
    await common({ suspend: null }, 'SUSPENDED');
    await common({ resume: null }, 'ACTIVE');
    await common({ lock: null }, 'ACTIVE');
    await common({ unlock: null }, 'ACTIVE');
    const backup = c.check('serverAction', 'servers.create_backup', await action({ createBackup: { name: randomName('bk'), backup_type: 'daily', rotation: 1 } }));
    const backupId = backup.body?.image_id ?? String(backup.headers.get('location')).split('/').pop();
    await waitForImage(demo, backupId, ['active']);
    await waitForServer(demo, id, ['ACTIVE']);
    await demo.request('DELETE', `/image/v2/images/${backupId}`);
    await common({ resize: { flavorRef: '2' } }, 'VERIFY_RESIZE');
    c.check('serverAction', 'servers.server_actions_confirm_resize', await action({ confirmResize: null }));
    await common({ resize: { flavorRef: '1' } }, 'VERIFY_RESIZE');
    await common({ revertResize: null }, 'ACTIVE');
    c.check('serverAction', 'servers.rebuild_server_with_admin_pass', await action({ rebuild: { imageRef: imageId } }));
    await waitForServer(demo, id, ['ACTIVE']);
    await common({ shelve: null }, 'SHELVED_OFFLOADED');
    await common({ unshelve: null }, 'ACTIVE');
    await demo.request('DELETE', `${COMPUTE}/servers/${id}`, undefined, hv);
    expect(c.problems).toEqual([]);
  }, 240_000);
});

describe.each(VOLUME_VERSIONS)('volume at %s', (version) => {
  test('every operation answers as tempest\'s schemas say', async () => {
    const c = new Checker('volume', version);
    const hv = { 'OpenStack-API-Version': `volume ${version}` };
    const req = (s: Session, method: string, p: string, body?: unknown) => s.request(method, `${VOL}${p}`, body, hv);
    c.check('listVolumeVersions', 'versions.list_versions', await h.request('GET', '/volume/', undefined, hv));
    c.check('showVolumeV3', 'versions.volume_api_version_details', await h.request('GET', '/volume/v3/', undefined, hv));

    const created = c.check('createVolume', 'volumes.create_volume', await req(demo, 'POST', '/volumes', { volume: { size: 1, name: randomName('sv'), metadata: { a: 'b' } } }));
    const id = created.body.volume.id;
    await waitForVolume(demo, id, ['available']);
    c.check('listVolumes', 'volumes.list_volumes_no_detail', await req(demo, 'GET', '/volumes'));
    c.check('listVolumesDetail', 'volumes.list_volumes_with_detail', await req(demo, 'GET', '/volumes/detail'));
    c.check('showVolume', 'volumes.show_volume', await req(demo, 'GET', `/volumes/${id}`));
    // The summary is from 3.12 (metadata from 3.36); tempest's schema names both.
    c.check('showVolumeSummary', 'volumes.show_volume_summary', await demo.request('GET', `${VOL}/volumes/summary`, undefined, { 'OpenStack-API-Version': 'volume 3.36' }));
    c.check('updateVolume', 'volumes.update_volume', await req(demo, 'PUT', `/volumes/${id}`, { volume: { name: randomName('sv2') } }));
    c.check('mergeVolumeMetadata', 'volumes.create_volume_metadata', await req(demo, 'POST', `/volumes/${id}/metadata`, { metadata: { k1: 'v1' } }));
    c.check('replaceVolumeMetadata', 'volumes.update_volume_metadata', await req(demo, 'PUT', `/volumes/${id}/metadata`, { metadata: { k2: 'v2' } }));
    c.check('listVolumeMetadata', 'volumes.show_volume_metadata', await req(demo, 'GET', `/volumes/${id}/metadata`));
    c.check('updateVolumeMetadataItem', 'volumes.update_volume_metadata_item', await req(demo, 'PUT', `/volumes/${id}/metadata/k2`, { meta: { k2: 'v3' } }));
    c.check('showVolumeMetadataItem', 'volumes.show_volume_metadata_item', await req(demo, 'GET', `/volumes/${id}/metadata/k2`));
    c.check('deleteVolumeMetadataItem', 'volumes.delete_volume_metadata_item', await req(demo, 'DELETE', `/volumes/${id}/metadata/k2`));
    c.check('volumeAction', 'volumes.set_bootable_volume', await req(demo, 'POST', `/volumes/${id}/action`, { 'os-set_bootable': { bootable: true } }));
    c.check('volumeAction', 'volumes.update_volume_image_metadata', await req(demo, 'POST', `/volumes/${id}/action`, { 'os-set_image_metadata': { metadata: { image_name: 'x', kernel_id: 'k' } } }));
    c.check('volumeAction', 'volumes.show_volume_image_metadata', await req(demo, 'POST', `/volumes/${id}/action`, { 'os-show_image_metadata': {} }));
    c.check('volumeAction', 'volumes.delete_volume_image_metadata', await req(demo, 'POST', `/volumes/${id}/action`, { 'os-unset_image_metadata': { key: 'kernel_id' } }));
    c.check('volumeAction', 'volumes.extend_volume', await req(demo, 'POST', `/volumes/${id}/action`, { 'os-extend': { new_size: 2 } }));
    await waitForVolume(demo, id, ['available']);
    // The legacy attach actions (bookkeeping): a volume shown while recorded as attached to a host.
    const act = (s: Session, body: unknown) => req(s, 'POST', `/volumes/${id}/action`, body);
    c.check('volumeAction', 'volumes.reserve_volume', await act(demo, { 'os-reserve': {} }));
    c.check('volumeAction', 'volumes.unreserve_volume', await act(demo, { 'os-unreserve': {} }));
    c.check('volumeAction', 'volumes.update_volume_readonly', await act(demo, { 'os-update_readonly_flag': { readonly: false } }));
    c.check('volumeAction', 'volumes.attach_volume', await act(demo, { 'os-attach': { host_name: 'schema-host', mountpoint: '/dev/vdz' } }));
    c.check('showVolume', 'volumes.show_volume', await req(demo, 'GET', `/volumes/${id}`));
    c.check('listVolumesDetail', 'volumes.list_volumes_with_detail', await req(demo, 'GET', '/volumes/detail'));
    c.check('volumeAction', 'status:202', await act(demo, { 'os-begin_detaching': {} }));
    c.check('volumeAction', 'status:202', await act(demo, { 'os-roll_detaching': {} }));
    c.check('volumeAction', 'volumes.detach_volume', await act(demo, { 'os-detach': {} }));
    await act(demo, { 'os-attach': { instance_uuid: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b', mountpoint: '/dev/vdz' } });
    c.check('volumeAction', 'volumes.force_detach_volume', await act(admin, { 'os-force_detach': { connector: null } }));

    const snapRes = c.check('createSnapshot', 'snapshots.create_snapshot', await req(demo, 'POST', '/snapshots', { snapshot: { volume_id: id, name: randomName('ss'), metadata: { a: 'b' } } }));
    const sid = snapRes.body.snapshot.id;
    await waitForSnapshot(demo, sid, ['available']);
    c.check('listSnapshots', 'snapshots.list_snapshots_no_detail', await req(demo, 'GET', '/snapshots'));
    c.check('listSnapshotsDetail', 'snapshots.list_snapshots_with_detail', await req(demo, 'GET', '/snapshots/detail'));
    c.check('showSnapshot', 'snapshots.show_snapshot', await req(demo, 'GET', `/snapshots/${sid}`));
    c.check('updateSnapshot', 'snapshots.update_snapshot', await req(demo, 'PUT', `/snapshots/${sid}`, { snapshot: { name: randomName('ss2') } }));
    c.check('mergeSnapshotMetadata', 'snapshots.create_snapshot_metadata', await req(demo, 'POST', `/snapshots/${sid}/metadata`, { metadata: { k1: 'v1' } }));
    c.check('replaceSnapshotMetadata', 'snapshots.update_snapshot_metadata', await req(demo, 'PUT', `/snapshots/${sid}/metadata`, { metadata: { k2: 'v2' } }));
    c.check('listSnapshotMetadata', 'snapshots.show_snapshot_metadata', await req(demo, 'GET', `/snapshots/${sid}/metadata`));
    c.check('updateSnapshotMetadataItem', 'snapshots.update_snapshot_metadata_item', await req(demo, 'PUT', `/snapshots/${sid}/metadata/k2`, { meta: { k2: 'v3' } }));
    c.check('showSnapshotMetadataItem', 'snapshots.show_snapshot_metadata_item', await req(demo, 'GET', `/snapshots/${sid}/metadata/k2`));
    c.check('deleteSnapshotMetadataItem', 'snapshots.delete_snapshot_metadata_item', await req(demo, 'DELETE', `/snapshots/${sid}/metadata/k2`));
    c.check('snapshotAction', 'snapshots.reset_snapshot_status', await req(admin, 'POST', `/snapshots/${sid}/action`, { 'os-reset_status': { status: 'available' } }));
    const revert = await demo.request('POST', `${VOL}/volumes/${id}/action`, { revert: { snapshot_id: sid } }, { 'OpenStack-API-Version': 'volume 3.40' });
    c.check('volumeAction', 'status:202', revert);
    await waitForVolume(demo, id, ['available']);
    c.check('deleteSnapshot', 'snapshots.delete_snapshot', await req(demo, 'DELETE', `/snapshots/${sid}`));
    await pollUntil(() => req(demo, 'GET', `/snapshots/${sid}`), (r) => r.status === 404, 60_000, 'snapshot deleted');

    c.check('listVolumeTypes', 'volume_types.list_volume_types', await req(demo, 'GET', '/types'));
    const types = await req(demo, 'GET', '/types');
    c.check('showVolumeType', 'volume_types.show_volume_type', await req(demo, 'GET', `/types/${types.body.volume_types[0].id}`));
    const typeRes = c.check('createVolumeType', 'volume_types.create_volume_type', await req(admin, 'POST', '/types', {
      volume_type: { name: randomName('vt'), description: 'd', extra_specs: { a: 'b' }, 'os-volume-type-access:is_public': false },
    }));
    const typeId = typeRes.body.volume_type.id;
    c.check('listVolumeTypes', 'volume_types.list_volume_types', await req(admin, 'GET', '/types?is_public=none'));
    c.check('showVolumeType', 'volume_types.show_volume_type', await req(admin, 'GET', `/types/${typeId}`));
    c.check('updateVolumeType', 'volume_types.update_volume_types', await req(admin, 'PUT', `/types/${typeId}`, { volume_type: { description: 'e' } }));
    c.check('createVolumeTypeExtraSpecs', 'volume_types.create_volume_types_extra_specs', await req(admin, 'POST', `/types/${typeId}/extra_specs`, { extra_specs: { c: 'd' } }));
    c.check('listVolumeTypeExtraSpecs', 'volume_types.list_volume_types_extra_specs', await req(admin, 'GET', `/types/${typeId}/extra_specs`));
    c.check('showVolumeTypeExtraSpec', 'volume_types.show_volume_types_extra_specs', await req(admin, 'GET', `/types/${typeId}/extra_specs/c`));
    c.check('updateVolumeTypeExtraSpec', 'volume_types.update_volume_type_extra_specs', await req(admin, 'PUT', `/types/${typeId}/extra_specs/c`, { c: 'e' }));
    c.check('deleteVolumeTypeExtraSpec', 'volume_types.delete_volume_types_extra_specs', await req(admin, 'DELETE', `/types/${typeId}/extra_specs/c`));
    c.check('volumeTypeAction', 'volume_types.add_type_access', await req(admin, 'POST', `/types/${typeId}/action`, { addProjectAccess: { project: demo.projectId } }));
    c.check('listVolumeTypeAccess', 'volume_types.list_type_access', await req(admin, 'GET', `/types/${typeId}/os-volume-type-access`));
    const typed = await req(demo, 'POST', '/volumes', { volume: { size: 1, volume_type: typeId } });
    await waitForVolume(demo, typed.body.volume.id, ['available']);
    c.check('volumeAction', 'volumes.retype_volume', await req(demo, 'POST', `/volumes/${typed.body.volume.id}/action`, { 'os-retype': { new_type: '__DEFAULT__' } }));
    await req(demo, 'DELETE', `/volumes/${typed.body.volume.id}`);
    c.check('volumeTypeAction', 'volume_types.remove_type_access', await req(admin, 'POST', `/types/${typeId}/action`, { removeProjectAccess: { project: demo.projectId } }));
    await pollUntil(() => req(demo, 'GET', `/volumes/${typed.body.volume.id}`), (r) => r.status === 404, 60_000, 'typed volume deleted');
    c.check('deleteVolumeType', 'volume_types.delete_volume_type', await req(admin, 'DELETE', `/types/${typeId}`));
    c.check('listAvailabilityZones', 'status:200', await req(demo, 'GET', '/os-availability-zone'));
    // From 3.33 (tempest 33 has no schema for it).
    c.check('listResourceFilters', 'status:200', await demo.request('GET', `${VOL}/resource_filters`, undefined, { 'OpenStack-API-Version': 'volume 3.33' }));
    c.check('listVolumeExtensions', 'extensions.list_extensions', await req(demo, 'GET', '/extensions'));
    c.check('showLimits', 'limits.show_limits', await req(demo, 'GET', '/limits'));
    const project = demo.projectId;
    c.check('showQuotaSet', 'quotas.show_quota_set', await req(demo, 'GET', `/os-quota-sets/${project}`));
    c.check('showQuotaSet', 'quotas.show_quota_set_usage', await req(demo, 'GET', `/os-quota-sets/${project}?usage=True`));
    c.check('showQuotaSetDefaults', 'quotas.show_quota_set', await req(demo, 'GET', `/os-quota-sets/${project}/defaults`));
    c.check('updateQuotaSet', 'quotas.update_quota_set', await req(admin, 'PUT', `/os-quota-sets/${project}`, { quota_set: { snapshots: 50 } }));
    c.check('deleteQuotaSet', 'quotas.delete_quota_set', await req(admin, 'DELETE', `/os-quota-sets/${project}`));

    // Transfers: os-volume-transfer at this version, /volume-transfers (3.55+) against tempest's 3.57 schemas.
    const alt = await h.login('alt_demo');
    const transferred = await req(demo, 'POST', '/volumes', { volume: { size: 1 } });
    const tvId = transferred.body.volume.id;
    await waitForVolume(demo, tvId, ['available']);
    const legacy = c.check('createVolumeTransferLegacy', 'transfers.create_volume_transfer', await req(demo, 'POST', '/os-volume-transfer', { transfer: { volume_id: tvId, name: 'x' } }));
    const lt = legacy.body.transfer;
    c.check('showVolumeTransferLegacy', 'transfers.show_volume_transfer', await req(demo, 'GET', `/os-volume-transfer/${lt.id}`));
    c.check('listVolumeTransfersLegacy', 'transfers.list_volume_transfers_no_detail', await req(demo, 'GET', '/os-volume-transfer'));
    c.check('listVolumeTransfersDetailLegacy', 'transfers.list_volume_transfers_with_detail', await req(demo, 'GET', '/os-volume-transfer/detail'));
    c.check('deleteVolumeTransferLegacy', 'transfers.delete_volume_transfer', await req(demo, 'DELETE', `/os-volume-transfer/${lt.id}`));
    const lt2 = (await req(demo, 'POST', '/os-volume-transfer', { transfer: { volume_id: tvId } })).body.transfer;
    c.check('acceptVolumeTransferLegacy', 'transfers.accept_volume_transfer', await req(alt, 'POST', `/os-volume-transfer/${lt2.id}/accept`, { accept: { auth_key: lt2.auth_key } }));
    const c357 = new Checker('volume', '3.57');
    const h357 = { 'OpenStack-API-Version': 'volume 3.57' };
    const req357 = (s: Session, method: string, p: string, body?: unknown) => s.request(method, `${VOL}${p}`, body, h357);
    const nt = c357.check('createVolumeTransfer', 'transfers.create_volume_transfer', await req357(alt, 'POST', '/volume-transfers', { transfer: { volume_id: tvId, no_snapshots: true } })).body.transfer;
    c357.check('showVolumeTransfer', 'transfers.show_volume_transfer', await req357(alt, 'GET', `/volume-transfers/${nt.id}`));
    c357.check('listVolumeTransfers', 'transfers.list_volume_transfers_no_detail', await req357(alt, 'GET', '/volume-transfers'));
    c357.check('listVolumeTransfersDetail', 'transfers.list_volume_transfers_with_detail', await req357(alt, 'GET', '/volume-transfers/detail'));
    c357.check('acceptVolumeTransfer', 'transfers.accept_volume_transfer', await req357(demo, 'POST', `/volume-transfers/${nt.id}/accept`, { accept: { auth_key: nt.auth_key } }));
    const nt2 = (await req357(demo, 'POST', '/volume-transfers', { transfer: { volume_id: tvId } })).body.transfer;
    c357.check('deleteVolumeTransfer', 'transfers.delete_volume_transfer', await req357(demo, 'DELETE', `/volume-transfers/${nt2.id}`));
    await req(demo, 'DELETE', `/volumes/${tvId}`);

    // A user message: a volume create failed by a fault rule (messages are 3.3+).
    await admin.request('POST', '/snapstack/v1/faults', { fault: { target: 'volume.create', action: 'fail', project_id: demo.projectId } });
    const failed = (await req(demo, 'POST', '/volumes', { volume: { size: 1 } })).body.volume.id;
    await waitForVolume(demo, failed, ['error']);
    const h33 = { 'OpenStack-API-Version': 'volume 3.3' };
    const listed = c.check('listVolumeMessages', 'messages.list_messages', await demo.request('GET', `${VOL}/messages`, undefined, h33));
    const messageId = listed.body.messages[0].id;
    c.check('showVolumeMessage', 'messages.show_message', await demo.request('GET', `${VOL}/messages/${messageId}`, undefined, h33));
    c.check('deleteVolumeMessage', 'messages.delete_message', await demo.request('DELETE', `${VOL}/messages/${messageId}`, undefined, h33));
    await req(demo, 'DELETE', `/volumes/${failed}`);

    c.check('deleteVolume', 'volumes.delete_volume', await req(demo, 'DELETE', `/volumes/${id}`));

    expect([...c.problems, ...c357.problems]).toEqual([]);
    const missing = specOperations('volume.yaml').filter((op) => !c.covered.has(op) && !c357.covered.has(op));
    expect(missing).toEqual([]);
  });
});

/** os-keypairs: generate (the private key once) and import, list, show, delete. */
async function checkKeypairs(c: Checker, hv: Record<string, string>): Promise<void> {
  const kp = `${COMPUTE}/os-keypairs`;
  const generated = randomName('kp');
  c.check('createKeypair', 'keypairs.create_keypair', await demo.request('POST', kp, { keypair: { name: generated } }, hv));
  const imported = randomName('kp');
  const publicKey = (await demo.request('GET', `${kp}/${generated}`, undefined, hv)).body.keypair.public_key;
  c.check('createKeypair', 'keypairs.create_keypair', await demo.request('POST', kp, { keypair: { name: imported, public_key: publicKey } }, hv));
  c.check('listKeypairs', 'keypairs.list_keypairs', await demo.request('GET', kp, undefined, hv));
  c.check('showKeypair', 'keypairs.get_keypair', await demo.request('GET', `${kp}/${imported}`, undefined, hv));
  for (const name of [generated, imported]) c.check('deleteKeypair', 'keypairs.delete_keypair', await demo.request('DELETE', `${kp}/${name}`, undefined, hv));
}

/** Server tags: from 2.26 as tempest's v2_26 schemas say; below it 404 (the API is not there). */
async function checkServerTags(c: Checker, version: string, hv: Record<string, string>, id: string): Promise<void> {
  const tags = `${COMPUTE}/servers/${id}/tags`;
  // COMPUTE_VERSIONS: 2.1 is the only one below 2.26.
  const ref = (name: string) => (version !== '2.1' ? `servers.${name}` : 'status:404');
  c.check('replaceServerTags', ref('update_all_tags'), await demo.request('PUT', tags, { tags: ['a', 'b'] }, hv));
  c.check('addServerTag', ref('update_tag'), await demo.request('PUT', `${tags}/c`, undefined, hv));
  c.check('listServerTags', ref('list_tags'), await demo.request('GET', tags, undefined, hv));
  c.check('checkServerTag', ref('check_tag_existence'), await demo.request('GET', `${tags}/c`, undefined, hv));
  c.check('deleteServerTag', ref('delete_tag'), await demo.request('DELETE', `${tags}/c`, undefined, hv));
  c.check('deleteServerTags', ref('delete_all_tags'), await demo.request('DELETE', tags, undefined, hv));
}

/** os-instance-actions of a server that was created, stopped, snapshotted, started and rebooted: as its owner and as an admin (events). */
async function checkInstanceActions(c: Checker, version: string, hv: Record<string, string>, id: string): Promise<void> {
  const path = `${COMPUTE}/servers/${id}/os-instance-actions`;
  // tempest has no 2.58 list schema: its v2_1 one forbids the updated_at that Nova's own
  // index_response_v258 requires from 2.58 (2.79 here), so there the status and that key are checked.
  const modern = version === '2.79';
  const list = c.check('listInstanceActions', modern ? 'status:200' : 'servers.list_instance_actions', await demo.request('GET', path, undefined, hv));
  if (modern) expect(list.body.instanceActions.every((a: { updated_at?: string }) => typeof a.updated_at === 'string')).toBe(true);
  for (const who of [demo, admin]) {
    c.check('showInstanceAction', 'servers.show_instance_action', await who.request('GET', `${path}/${list.body.instanceActions[0].request_id}`, undefined, hv));
  }
}

/** os-server-groups: create (policies below 2.64, policy from it), show, list, delete. */
async function checkServerGroups(c: Checker, hv: Record<string, string>): Promise<void> {
  const sg = `${COMPUTE}/os-server-groups`;
  const modern = hv['OpenStack-API-Version'] === 'compute 2.79';
  const body = modern ? { name: randomName('sg'), policy: 'anti-affinity', rules: { max_server_per_host: 2 } } : { name: randomName('sg'), policies: ['affinity'] };
  const created = c.check('createServerGroup', 'server_groups.create_show_server_group', await demo.request('POST', sg, { server_group: body }, hv));
  const id = created.body.server_group.id;
  c.check('showServerGroup', 'server_groups.create_show_server_group', await demo.request('GET', `${sg}/${id}`, undefined, hv));
  c.check('listServerGroups', 'server_groups.list_server_groups', await demo.request('GET', sg, undefined, hv));
  c.check('deleteServerGroup', 'server_groups.delete_server_group', await demo.request('DELETE', `${sg}/${id}`, undefined, hv));
}


describe('views at every microversion a tempest schema changes', () => {
  let serverId: string;
  let volumeId: string;
  let snapshotId: string;
  beforeAll(async () => {
    const created = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('views'), imageRef: imageId, flavorRef: '1', networks: 'none' } }, mv('2.37'));
    serverId = created.body.server.id;
    const vol = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('views') } });
    volumeId = vol.body.volume.id;
    await Promise.all([waitForServer(demo, serverId, ['ACTIVE']), waitForVolume(demo, volumeId, ['available'])]);
    expect((await demo.request('POST', `${COMPUTE}/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId } }, mv('2.37'))).status).toBe(200);
    await waitForVolume(demo, volumeId, ['in-use']);
    const snap = await demo.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: volumeId, name: randomName('views'), force: true } });
    snapshotId = snap.body.snapshot.id;
    await waitForSnapshot(demo, snapshotId, ['available']);
  }, 180_000);
  afterAll(async () => {
    await demo.request('DELETE', `${VOL}/snapshots/${snapshotId}`);
    await demo.request('DELETE', `${COMPUTE}/servers/${serverId}`);
    await waitForServerGone(demo, serverId);
    await pollUntil(() => demo.request('GET', `${VOL}/snapshots/${snapshotId}`), (r) => r.status === 404, 60_000, 'snapshot deleted');
    await demo.request('DELETE', `${VOL}/volumes/${volumeId}`);
  });

  test.each(VIEW_VERSIONS)('compute %s: servers, flavors and attachments', async (version) => {
    const c = new Checker('compute', version);
    const hv = mv(version);
    for (const who of [demo, admin]) {
      const get = (p: string) => who.request('GET', p, undefined, hv);
      c.check('showServer', 'servers.get_server', await get(`${COMPUTE}/servers/${serverId}`));
      c.check('listServersDetail', 'servers.list_servers_detail', await get(`${COMPUTE}/servers/detail${who === admin ? '?all_tenants=1' : ''}`));
      c.check('listFlavorsDetail', 'flavors.list_flavors_details', await get(`${COMPUTE}/flavors/detail`));
      c.check('showFlavor', 'flavors.create_update_get_flavor_details', await get(`${COMPUTE}/flavors/1`));
    }
    c.check('listServers', 'servers.list_servers', await demo.request('GET', `${COMPUTE}/servers`, undefined, hv));
    c.check('listFlavors', 'flavors.list_flavors', await demo.request('GET', `${COMPUTE}/flavors`, undefined, hv));
    c.check('updateServer', 'servers.update_server', await demo.request('PUT', `${COMPUTE}/servers/${serverId}`, { server: { name: randomName('views') } }, hv));
    if (atVersion(version, '2.55')) {
      c.check('updateFlavor', 'flavors.create_update_get_flavor_details', await admin.request('PUT', `${COMPUTE}/flavors/1`, { flavor: { description: `at ${version}` } }, hv));
    }
    if (atVersion(version, '2.78')) c.check('showServerTopology', 'status:200', await demo.request('GET', `${COMPUTE}/servers/${serverId}/topology`, undefined, hv));
    // From 2.85 PUT changes delete_on_termination (tempest's update_attached_volume checks the status).
    if (atVersion(version, '2.85')) {
      c.check('updateVolumeAttachment', 'status:202', await demo.request('PUT', `${COMPUTE}/servers/${serverId}/os-volume_attachments/${volumeId}`, { volumeAttachment: { volumeId, delete_on_termination: true } }, hv));
    }
    // 2.89 drops the attachment's id (tempest 33 has no schema for that yet).
    if (!atVersion(version, '2.89')) {
      const att = `${COMPUTE}/servers/${serverId}/os-volume_attachments`;
      c.check('listVolumeAttachments', 'servers.list_volume_attachments', await demo.request('GET', att, undefined, hv));
      c.check('showVolumeAttachment', 'servers.show_volume_attachment', await demo.request('GET', `${att}/${volumeId}`, undefined, hv));
    }
    expect(c.problems).toEqual([]);
  });

  test.each(VOLUME_VIEW_VERSIONS)('volume %s: volumes and snapshots', async (version) => {
    const c = new Checker('volume', version);
    const hv = { 'OpenStack-API-Version': `volume ${version}` };
    const withCount = atVersion(version, '3.45');
    const count = withCount ? '?with_count=true' : '';
    // tempest 33's snapshot and list schemas are 3.0's: the keys Cinder adds later are checked
    // here, by version, and taken out before the rest is validated.
    const snapshotAdds = { group_snapshot_id: atVersion(version, '3.14'), user_id: atVersion(version, '3.41') };
    const added = (problems: string[], where: string, o: Record<string, unknown>, keys: Record<string, boolean>) => {
      for (const [key, present] of Object.entries(keys)) {
        if ((key in o) !== present) problems.push(`${where}: ${key} ${present ? 'missing' : 'present'} at volume ${version}`);
        delete o[key];
      }
    };
    const snapshotRes = (res: ApiResponse, where: string) => {
      if (res.body.snapshot) added(c.problems, where, res.body.snapshot, snapshotAdds);
      for (const one of res.body.snapshots ?? []) added(c.problems, where, one, snapshotAdds);
      return res;
    };
    const listRes = (res: ApiResponse, where: string) => {
      if (withCount && typeof res.body.count !== 'number') c.problems.push(`${where}: no count at volume ${version}`);
      delete res.body.count;
      return res;
    };
    for (const who of [demo, admin]) {
      const get = (p: string) => who.request('GET', `${VOL}${p}`, undefined, hv);
      c.check('showVolume', 'volumes.show_volume', await get(`/volumes/${volumeId}`));
      c.check('listVolumesDetail', 'volumes.list_volumes_with_detail', listRes(await get(`/volumes/detail${count}`), 'listVolumesDetail'));
      c.check('listVolumes', 'volumes.list_volumes_no_detail', listRes(await get(`/volumes${count}`), 'listVolumes'));
      c.check('showSnapshot', 'snapshots.show_snapshot', snapshotRes(await get(`/snapshots/${snapshotId}`), 'showSnapshot'));
      c.check('listSnapshotsDetail', 'snapshots.list_snapshots_with_detail', snapshotRes(listRes(await get(`/snapshots/detail${count}`), 'listSnapshotsDetail'), 'listSnapshotsDetail'));
    }
    expect(c.problems).toEqual([]);
  });
});

function atVersion(version: string, than: string): boolean {
  return Microversion.parse(version)!.atLeast(than);
}
