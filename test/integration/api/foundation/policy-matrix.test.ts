/**
 * Issue 16: every operation of openapi/*.yaml x {unscoped, domain-scoped, other project's member,
 * reader, member, admin}, with the status each gets, as Keystone's, Nova's, Cinder's and
 * Glance's default policies decide (project scope for project resources; admin for identity
 * writes, flavors and quotas; a member's resources invisible (404) to another project).
 *
 * Targets are the member's resources in project P. Operations that destroy their target get a
 * fresh one per cell (prepare). The server runs without a Docker engine: servers end in ERROR
 * at once, archives need the engine (501), volumes live in plain directories.
 */
import { randomUUID } from 'crypto';
import { startHarness, Harness, Session, ApiResponse } from '../../../support/snapstack-harness';
import { Cast, Caller, makeCast, Persona, PERSONAS } from '../../../support/personas';
import { pollUntil } from '../../../support/compute-helpers';
import { loadOperations } from '../../../fuzz/openapi-requests';
import { loadConfig } from '../../../../src/config';

type Exp = [unscoped: number, domain: number, other: number, reader: number, member: number, admin: number];
interface Req { method: string; path: string; body?: unknown; headers?: Record<string, string> }
interface Ctx { cast: Cast; ids: Record<string, string>; as(who: Persona | 'seed', method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> }
type Build = (c: Ctx, who: Persona) => Req | Promise<Req>;

const all = (s: number): Exp => [s, s, s, s, s, s];
/** A project-scoped read of a list: any project's reader. */
const LIST = (s = 200): Exp => [403, 403, s, s, s, s];
/** A project-scoped read of the member's resource. */
const READ = (s = 200): Exp => [403, 403, 404, s, s, s];
/** A write to the member's resource (readers may not write). */
const WRITE = (s = 200): Exp => [403, 403, 404, 403, s, s];
/** A create in the caller's own project. */
const CREATE = (s = 202): Exp => [403, 403, s, 403, s, s];
const ADMIN = (s = 200): Exp => [403, 403, 403, 403, 403, s];
/** Keystone's "own user" rules: the unscoped and domain tokens are the member's own. */
const SELF = (s = 200): Exp => [s, s, 403, 403, s, s];
/** A metadef write inside P's private namespace: invisible to another project, admin-only for P's. */
const MD_WRITE = (s: number): Exp => [403, 403, 404, 403, 403, s];

const get = (path: string): Build => () => ({ method: 'GET', path });
const V = '/volume/v3/{P}';
const NOVA_21 = { 'OpenStack-API-Version': 'compute 2.1' };
const C = '/compute/v2.1';
const G = '/image/v2';
const S = '/snapstack/v1';
const I = '/identity/v3';
const MD = `${G}/metadefs/namespaces`;

const TABLE: Record<string, [Build, Exp]> = {
  // --- compute (Nova) ---
  listComputeVersions: [get('/compute/'), all(200)],
  showComputeV21: [get(`${C}`), all(200)],
  listFlavors: [get(`${C}/flavors`), LIST()],
  listFlavorsDetail: [get(`${C}/flavors/detail`), LIST()],
  createFlavor: [() => ({ method: 'POST', path: `${C}/flavors`, body: { flavor: { name: `f-${randomUUID()}`, ram: 64, vcpus: 1, disk: 1 } } }), ADMIN(200)],
  updateFlavor: [() => ({ method: 'PUT', path: `${C}/flavors/1`, body: { flavor: { description: 'd' } }, headers: { 'OpenStack-API-Version': 'compute 2.55' } }), ADMIN(200)],
  showFlavor: [get(`${C}/flavors/1`), LIST()],
  deleteFlavor: [async (c) => ({ method: 'DELETE', path: `${C}/flavors/${(await c.as('admin', 'POST', `${C}/flavors`, { flavor: { name: `f-${randomUUID()}`, ram: 64, vcpus: 1, disk: 1 } })).body.flavor.id}` }), ADMIN(202)],
  listFlavorExtraSpecs: [get(`${C}/flavors/1/os-extra_specs`), LIST()],
  showFlavorExtraSpec: [get(`${C}/flavors/1/os-extra_specs/k`), LIST(404)],
  listServers: [get(`${C}/servers`), LIST()],
  listServersDetail: [get(`${C}/servers/detail`), LIST()],
  createServer: [(c) => ({ method: 'POST', path: `${C}/servers`, body: { server: { name: 'm', imageRef: c.ids.busybox, flavorRef: '1', networks: 'none' } } }), CREATE(202)],
  showServer: [(c) => get(`${C}/servers/${c.ids.server}`)(c, 'member'), READ()],
  updateServer: [(c) => ({ method: 'PUT', path: `${C}/servers/${c.ids.server}`, body: { server: { name: 'renamed' } } }), WRITE()],
  deleteServer: [async (c) => ({ method: 'DELETE', path: `${C}/servers/${await newServer(c)}` }), WRITE(204)],
  serverAction: [(c) => ({ method: 'POST', path: `${C}/servers/${c.ids.server}/action`, body: { 'os-stop': null } }), WRITE(409)],
  listServerMetadata: [(c) => get(`${C}/servers/${c.ids.server}/metadata`)(c, 'member'), READ()],
  // Nova refuses metadata changes to a server in ERROR (check_instance_state) after the policy.
  updateServerMetadata: [(c) => ({ method: 'POST', path: `${C}/servers/${c.ids.server}/metadata`, body: { metadata: { a: 'b' } } }), WRITE(409)],
  replaceServerMetadata: [(c) => ({ method: 'PUT', path: `${C}/servers/${c.ids.server}/metadata`, body: { metadata: { k: 'v' } } }), WRITE(409)],
  showServerMetadataItem: [(c) => get(`${C}/servers/${c.ids.server}/metadata/k`)(c, 'member'), READ()],
  setServerMetadataItem: [(c) => ({ method: 'PUT', path: `${C}/servers/${c.ids.server}/metadata/k`, body: { meta: { k: 'v' } } }), WRITE(409)],
  // The key is there (set at create), so the state check answers: 409 in ERROR.
  deleteServerMetadataItem: [(c, who) => ({ method: 'DELETE', path: `${C}/servers/${c.ids.server}/metadata/d-${who}` }), WRITE(409)],
  listVolumeAttachments: [(c) => get(`${C}/servers/${c.ids.server}/os-volume_attachments`)(c, 'member'), READ()],
  attachVolume: [(c) => ({ method: 'POST', path: `${C}/servers/${c.ids.server}/os-volume_attachments`, body: { volumeAttachment: { volumeId: c.ids.volume } } }), WRITE(409)],
  showVolumeAttachment: [(c) => get(`${C}/servers/${c.ids.server}/os-volume_attachments/${c.ids.volume}`)(c, 'member'), READ(404)],
  // Below 2.85 a PUT is a swap: an admin's (os-volumes-attachments:swap), then 409 as no volume migrates.
  updateVolumeAttachment: [(c) => ({ method: 'PUT', path: `${C}/servers/${c.ids.server}/os-volume_attachments/${c.ids.volume}`, body: { volumeAttachment: { volumeId: c.ids.volume } } }), [403, 403, 404, 403, 403, 409]],
  showServerTopology: [(c) => ({ method: 'GET', path: `${C}/servers/${c.ids.server}/topology`, headers: { 'OpenStack-API-Version': 'compute 2.78' } }), READ()],
  // Nova refuses detaching from a server in ERROR before it looks for the attachment.
  detachVolume: [(c) => ({ method: 'DELETE', path: `${C}/servers/${c.ids.server}/os-volume_attachments/${c.ids.volume}` }), WRITE(409)],
  // Nova's image proxy exists up to microversion 2.35.
  listServerAddresses: [(c) => get(`${C}/servers/${c.ids.server}/ips`)(c, 'member'), READ()],
  // The server ends in ERROR here, with no address: no network to show.
  showServerAddressesByNetwork: [(c) => get(`${C}/servers/${c.ids.server}/ips/private`)(c, 'member'), READ(404)],
  showServerPassword: [(c) => get(`${C}/servers/${c.ids.server}/os-server-password`)(c, 'member'), READ()],
  clearServerPassword: [(c) => ({ method: 'DELETE', path: `${C}/servers/${c.ids.server}/os-server-password` }), WRITE(204)],
  listComputeAvailabilityZones: [get(`${C}/os-availability-zone`), LIST()],
  listImagesProxy: [() => ({ method: 'GET', path: `${C}/images`, headers: NOVA_21 }), LIST()],
  listImagesDetailProxy: [() => ({ method: 'GET', path: `${C}/images/detail`, headers: NOVA_21 }), LIST()],
  showImageProxy: [(c) => ({ method: 'GET', path: `${C}/images/${c.ids.image}`, headers: NOVA_21 }), READ()],
  deleteImageProxy: [async (c) => ({ method: 'DELETE', path: `${C}/images/${await newImage(c)}`, headers: NOVA_21 }), WRITE(204)],
  listImageMetadataProxy: [(c) => ({ method: 'GET', path: `${C}/images/${c.ids.image}/metadata`, headers: NOVA_21 }), READ()],
  replaceImageMetadataProxy: [async (c) => ({ method: 'PUT', path: `${C}/images/${await newImage(c)}/metadata`, body: { metadata: { k: 'v' } }, headers: NOVA_21 }), WRITE()],
  updateImageMetadataProxy: [(c) => ({ method: 'POST', path: `${C}/images/${c.ids.image}/metadata`, body: { metadata: { a: 'b' } }, headers: NOVA_21 }), WRITE()],
  showImageMetadataItemProxy: [async (c) => {
    await c.as('member', 'PUT', `${C}/images/${c.ids.image}/metadata/k`, { meta: { k: 'v' } }, NOVA_21);
    return { method: 'GET', path: `${C}/images/${c.ids.image}/metadata/k`, headers: NOVA_21 };
  }, READ()],
  setImageMetadataItemProxy: [(c) => ({ method: 'PUT', path: `${C}/images/${c.ids.image}/metadata/s`, body: { meta: { s: 'v' } }, headers: NOVA_21 }), WRITE()],
  deleteImageMetadataItemProxy: [async (c, who) => {
    await c.as('member', 'PUT', `${C}/images/${c.ids.image}/metadata/d-${who}`, { meta: { [`d-${who}`]: 'x' } }, NOVA_21);
    return { method: 'DELETE', path: `${C}/images/${c.ids.image}/metadata/d-${who}`, headers: NOVA_21 };
  }, WRITE(204)],
  // Key pairs are the user's own: any project role; another user's (the reader's, the admin's
  // without user_id) is not theirs to find (404).
  listKeypairs: [get(`${C}/os-keypairs`), LIST()],
  createKeypair: [() => ({ method: 'POST', path: `${C}/os-keypairs`, body: { keypair: { name: `k-${randomUUID()}` } } }), [403, 403, 201, 201, 201, 201]],
  showKeypair: [async (c) => get(`${C}/os-keypairs/${await newKeypair(c)}`)(c, 'member'), [403, 403, 404, 404, 200, 404]],
  deleteKeypair: [async (c) => ({ method: 'DELETE', path: `${C}/os-keypairs/${await newKeypair(c)}` }), [403, 403, 404, 404, 204, 404]],
  // Tag changes are refused to a server in ERROR (Nova's vm_state check), after the policy.
  listServerTags: [(c) => get(`${C}/servers/${c.ids.server}/tags`)(c, 'member'), READ()],
  replaceServerTags: [(c) => ({ method: 'PUT', path: `${C}/servers/${c.ids.server}/tags`, body: { tags: ['a'] } }), WRITE(409)],
  deleteServerTags: [(c) => ({ method: 'DELETE', path: `${C}/servers/${c.ids.server}/tags` }), WRITE(409)],
  checkServerTag: [(c) => get(`${C}/servers/${c.ids.server}/tags/t`)(c, 'member'), READ(404)],
  addServerTag: [(c) => ({ method: 'PUT', path: `${C}/servers/${c.ids.server}/tags/t` }), WRITE(409)],
  deleteServerTag: [(c) => ({ method: 'DELETE', path: `${C}/servers/${c.ids.server}/tags/t` }), WRITE(409)],
  showComputeLimits: [get(`${C}/limits`), LIST()],
  listServerGroups: [get(`${C}/os-server-groups`), LIST()],
  createServerGroup: [() => ({ method: 'POST', path: `${C}/os-server-groups`, body: { server_group: { name: `g-${randomUUID()}`, policies: ['affinity'] } } }), CREATE(200)],
  // One group to show (Nova's quota is 10 groups per project; the delete cells make six).
  showServerGroup: [async (c) => get(`${C}/os-server-groups/${c.ids.group ??= await newServerGroup(c)}`)(c, 'member'), READ()],
  deleteServerGroup: [async (c, who) => ({ method: 'DELETE', path: `${C}/os-server-groups/${await serverGroupFor(c, who)}` }), WRITE(204)],
  listInstanceActions: [(c) => get(`${C}/servers/${c.ids.server}/os-instance-actions`)(c, 'member'), READ()],
  showInstanceAction: [async (c) => {
    const actions = (await c.as('member', 'GET', `${C}/servers/${c.ids.server}/os-instance-actions`)).body.instanceActions;
    return get(`${C}/servers/${c.ids.server}/os-instance-actions/${actions[actions.length - 1].request_id}`)(c, 'member');
  }, READ()],

  // --- identity (Keystone) ---
  listIdentityVersions: [get('/identity/'), all(300)],
  showIdentityV3: [get(I), all(200)],
  createToken: [(c) => ({ method: 'POST', path: `${I}/auth/tokens`, body: { auth: { identity: { methods: ['password'], password: { user: { id: c.cast.callers.member.userId, password: c.ids.password } } } } } }), all(201)],
  validateToken: [(c) => ({ method: 'GET', path: `${I}/auth/tokens`, headers: { 'X-Subject-Token': c.cast.callers.member.token } }), SELF(200)],
  checkToken: [(c) => ({ method: 'HEAD', path: `${I}/auth/tokens`, headers: { 'X-Subject-Token': c.cast.callers.member.token } }), SELF(200)],
  revokeToken: [async (c) => ({ method: 'DELETE', path: `${I}/auth/tokens`, headers: { 'X-Subject-Token': await memberToken(c) } }), SELF(204)],
  getAuthCatalog: [get(`${I}/auth/catalog`), [401, 401, 200, 200, 200, 200]],
  listAuthProjects: [get(`${I}/auth/projects`), all(200)],
  listAuthDomains: [get(`${I}/auth/domains`), all(200)],
  listProjects: [get(`${I}/projects`), ADMIN()],
  createProject: [() => ({ method: 'POST', path: `${I}/projects`, body: { project: { name: `p-${randomUUID()}` } } }), ADMIN(201)],
  showProject: [(c) => get(`${I}/projects/${c.cast.projectId}`)(c, 'member'), [403, 403, 403, 200, 200, 200]],
  updateProject: [async (c) => ({ method: 'PATCH', path: `${I}/projects/${await newProject(c)}`, body: { project: { description: 'd' } } }), ADMIN()],
  deleteProject: [async (c) => ({ method: 'DELETE', path: `${I}/projects/${await newProject(c)}` }), ADMIN(204)],
  listProjectUserRoles: [(c) => get(`${I}/projects/${c.cast.projectId}/users/${c.cast.callers.member.userId}/roles`)(c, 'member'), SELF()],
  checkProjectUserRole: [(c) => ({ method: 'HEAD', path: `${I}/projects/${c.cast.projectId}/users/${c.cast.callers.member.userId}/roles/${c.cast.roleIds.member}` }), SELF(204)],
  assignProjectUserRole: [async (c) => ({ method: 'PUT', path: `${I}/projects/${c.cast.projectId}/users/${await newUser(c)}/roles/${c.cast.roleIds.reader}` }), ADMIN(204)],
  unassignProjectUserRole: [async (c) => {
    const user = await newUser(c);
    await c.as('seed', 'PUT', `${I}/projects/${c.cast.projectId}/users/${user}/roles/${c.cast.roleIds.reader}`);
    return { method: 'DELETE', path: `${I}/projects/${c.cast.projectId}/users/${user}/roles/${c.cast.roleIds.reader}` };
  }, ADMIN(204)],
  listUsers: [get(`${I}/users`), ADMIN()],
  createUser: [() => ({ method: 'POST', path: `${I}/users`, body: { user: { name: `u-${randomUUID()}` } } }), ADMIN(201)],
  showUser: [(c) => get(`${I}/users/${c.cast.callers.member.userId}`)(c, 'member'), SELF()],
  updateUser: [(c) => ({ method: 'PATCH', path: `${I}/users/${c.cast.callers.member.userId}`, body: { user: { email: 'm@example.org' } } }), ADMIN()],
  deleteUser: [async (c) => ({ method: 'DELETE', path: `${I}/users/${await newUser(c)}` }), ADMIN(204)],
  listUserProjects: [(c) => get(`${I}/users/${c.cast.callers.member.userId}/projects`)(c, 'member'), SELF()],
  listDomains: [get(`${I}/domains`), all(200)],
  showDomain: [get(`${I}/domains/default`), all(200)],
  listRoles: [get(`${I}/roles`), all(200)],
  showRole: [(c) => get(`${I}/roles/${c.cast.roleIds.reader}`)(c, 'member'), all(200)],
  listRoleAssignments: [(c) => get(`${I}/role_assignments?user.id=${c.cast.callers.member.userId}`)(c, 'member'), SELF()],
  listRegions: [get(`${I}/regions`), all(501)],

  // --- image (Glance) ---
  listImageVersionsRoot: [get('/image/'), all(300)],
  listImageVersions: [get('/image/versions'), all(200)],
  listImages: [get(`${G}/images`), LIST()],
  createImage: [() => ({ method: 'POST', path: `${G}/images`, body: { name: 'i', disk_format: 'raw', container_format: 'bare' } }), CREATE(201)],
  showImage: [(c) => get(`${G}/images/${c.ids.image}`)(c, 'member'), READ()],
  updateImage: [(c) => ({ method: 'PATCH', path: `${G}/images/${c.ids.image}`, body: [{ op: 'replace', path: '/name', value: 'renamed' }], headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' } }), WRITE()],
  deleteImage: [async (c) => ({ method: 'DELETE', path: `${G}/images/${await newImage(c)}` }), WRITE(204)],
  downloadImageData: [(c) => get(`${G}/images/${c.ids.image}/file`)(c, 'member'), READ(204)],
  uploadImageData: [async (c) => ({ method: 'PUT', path: `${G}/images/${await newImage(c)}/file`, body: 'bytes', headers: { 'Content-Type': 'application/octet-stream' } }), WRITE(204)],
  deactivateImage: [async (c) => ({ method: 'POST', path: `${G}/images/${await newActiveImage(c)}/actions/deactivate` }), WRITE(204)],
  reactivateImage: [async (c) => ({ method: 'POST', path: `${G}/images/${await newActiveImage(c)}/actions/reactivate` }), WRITE(204)],
  addImageTag: [(c) => ({ method: 'PUT', path: `${G}/images/${c.ids.image}/tags/t` }), WRITE(204)],
  deleteImageTag: [async (c, who) => {
    await c.as('member', 'PUT', `${G}/images/${c.ids.image}/tags/d-${who}`);
    return { method: 'DELETE', path: `${G}/images/${c.ids.image}/tags/d-${who}` };
  }, WRITE(204)],
  // The shared image has project Q (the `other` caller's) as a member: Q sees it.
  listImageMembers: [(c) => get(`${G}/images/${c.ids.shared}/members`)(c, 'member'), [403, 403, 200, 200, 200, 200]],
  createImageMember: [(c) => ({ method: 'POST', path: `${G}/images/${c.ids.shared}/members`, body: { member: randomUUID() } }), [403, 403, 403, 403, 200, 200]],
  showImageMember: [(c) => get(`${G}/images/${c.ids.shared}/members/${c.cast.otherProjectId}`)(c, 'member'), [403, 403, 200, 200, 200, 200]],
  updateImageMember: [(c) => ({ method: 'PUT', path: `${G}/images/${c.ids.shared}/members/${c.cast.otherProjectId}`, body: { status: 'accepted' } }), [403, 403, 200, 403, 403, 200]],
  deleteImageMember: [async (c) => {
    const member = randomUUID();
    await c.as('member', 'POST', `${G}/images/${c.ids.shared}/members`, { member });
    return { method: 'DELETE', path: `${G}/images/${c.ids.shared}/members/${member}` };
  }, [403, 403, 404, 403, 204, 204]], // Q sees only its own membership
  showImageSchema: [get(`${G}/schemas/image`), LIST()],
  showImagesSchema: [get(`${G}/schemas/images`), LIST()],
  showMemberSchema: [get(`${G}/schemas/member`), LIST()],
  showMembersSchema: [get(`${G}/schemas/members`), LIST()],
  // Metadefs: the target is a private namespace of P (made by an admin); writes are admin-only,
  // after the namespace's visibility (another project's private namespace is a 404 to its writes too).
  listMetadefNamespaces: [get(`${G}/metadefs/namespaces`), LIST()],
  createMetadefNamespace: [() => ({ method: 'POST', path: `${G}/metadefs/namespaces`, body: { namespace: `ns-${randomUUID()}` } }), ADMIN(201)],
  showMetadefNamespace: [(c) => get(`${MD}/${c.ids.ns}`)(c, 'member'), READ()],
  updateMetadefNamespace: [(c) => ({ method: 'PUT', path: `${MD}/${c.ids.ns}`, body: { namespace: c.ids.ns, visibility: 'private', owner: c.cast.projectId } }), MD_WRITE(200)],
  deleteMetadefNamespace: [async (c) => ({ method: 'DELETE', path: `${MD}/${await newNamespace(c)}` }), MD_WRITE(204)],
  listMetadefObjects: [(c) => get(`${MD}/${c.ids.ns}/objects`)(c, 'member'), READ()],
  createMetadefObject: [(c) => ({ method: 'POST', path: `${MD}/${c.ids.ns}/objects`, body: { name: `o-${randomUUID()}` } }), MD_WRITE(201)],
  showMetadefObject: [(c) => get(`${MD}/${c.ids.ns}/objects/o`)(c, 'member'), READ()],
  updateMetadefObject: [(c) => ({ method: 'PUT', path: `${MD}/${c.ids.ns}/objects/o`, body: { name: 'o', description: 'changed' } }), MD_WRITE(200)],
  deleteMetadefObject: [async (c, who) => {
    await c.as('seed', 'POST', `${MD}/${c.ids.ns}/objects`, { name: `d-${who}` });
    return { method: 'DELETE', path: `${MD}/${c.ids.ns}/objects/d-${who}` };
  }, MD_WRITE(204)],
  deleteMetadefObjects: [async (c) => ({ method: 'DELETE', path: `${MD}/${await newNamespace(c)}/objects` }), MD_WRITE(204)],
  listMetadefProperties: [(c) => get(`${MD}/${c.ids.ns}/properties`)(c, 'member'), READ()],
  createMetadefProperty: [(c) => ({ method: 'POST', path: `${MD}/${c.ids.ns}/properties`, body: { name: `p-${randomUUID()}`, title: 'T', type: 'string' } }), MD_WRITE(201)],
  showMetadefProperty: [(c) => get(`${MD}/${c.ids.ns}/properties/p`)(c, 'member'), READ()],
  updateMetadefProperty: [(c) => ({ method: 'PUT', path: `${MD}/${c.ids.ns}/properties/p`, body: { name: 'p', title: 'T2', type: 'string' } }), MD_WRITE(200)],
  deleteMetadefProperty: [async (c, who) => {
    await c.as('seed', 'POST', `${MD}/${c.ids.ns}/properties`, { name: `d-${who}`, title: 'T', type: 'string' });
    return { method: 'DELETE', path: `${MD}/${c.ids.ns}/properties/d-${who}` };
  }, MD_WRITE(204)],
  deleteMetadefProperties: [async (c) => ({ method: 'DELETE', path: `${MD}/${await newNamespace(c)}/properties` }), MD_WRITE(204)],
  listMetadefTags: [(c) => get(`${MD}/${c.ids.ns}/tags`)(c, 'member'), READ()],
  createMetadefTags: [async (c) => ({ method: 'POST', path: `${MD}/${await newNamespace(c)}/tags`, body: { tags: [{ name: 'a' }] } }), MD_WRITE(201)],
  deleteMetadefTags: [async (c) => ({ method: 'DELETE', path: `${MD}/${await newNamespace(c)}/tags` }), MD_WRITE(204)],
  showMetadefTag: [(c) => get(`${MD}/${c.ids.ns}/tags/t`)(c, 'member'), READ()],
  createMetadefTag: [(c) => ({ method: 'POST', path: `${MD}/${c.ids.ns}/tags/t-${randomUUID()}` }), MD_WRITE(201)],
  updateMetadefTag: [async (c, who) => {
    await c.as('seed', 'POST', `${MD}/${c.ids.ns}/tags/u-${who}`);
    return { method: 'PUT', path: `${MD}/${c.ids.ns}/tags/u-${who}`, body: { name: `u2-${who}` } };
  }, MD_WRITE(200)],
  deleteMetadefTag: [async (c, who) => {
    await c.as('seed', 'POST', `${MD}/${c.ids.ns}/tags/d-${who}`);
    return { method: 'DELETE', path: `${MD}/${c.ids.ns}/tags/d-${who}` };
  }, MD_WRITE(204)],
  listMetadefResourceTypes: [get(`${G}/metadefs/resource_types`), LIST()],
  listMetadefResourceTypeAssociations: [(c) => get(`${MD}/${c.ids.ns}/resource_types`)(c, 'member'), READ()],
  createMetadefResourceTypeAssociation: [(c) => ({ method: 'POST', path: `${MD}/${c.ids.ns}/resource_types`, body: { name: `R::${randomUUID()}` } }), MD_WRITE(201)],
  deleteMetadefResourceTypeAssociation: [async (c, who) => {
    await c.as('seed', 'POST', `${MD}/${c.ids.ns}/resource_types`, { name: `D::${who}` });
    return { method: 'DELETE', path: `${MD}/${c.ids.ns}/resource_types/D::${who}` };
  }, MD_WRITE(204)],
  ...Object.fromEntries(['Namespace', 'Namespaces', 'Object', 'Objects', 'Property', 'Properties', 'Tag', 'Tags', 'ResourceType', 'ResourceTypes'].map((name) => [
    `showMetadef${name}Schema`, [get(`${G}/schemas/metadefs/${name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}`), LIST()] as [Build, Exp],
  ])),

  // --- Snapstack's own ---
  getHealth: [get(`${S}/health`), all(200)],
  showJob: [get(`${S}/jobs/${randomUUID()}`), LIST(404)],
  // Without a Docker engine, export answers 501 to every caller the policy lets through.
  exportVolumeSnapshot: [(c) => ({ method: 'POST', path: `${S}/snapshots/${c.ids.snapshot}/export`, body: {} }), [403, 403, 501, 403, 501, 501]],
  exportInstanceSnapshot: [(c) => ({ method: 'POST', path: `${S}/images/${c.ids.image}/export`, body: {} }), [403, 403, 501, 403, 501, 501]],
  promoteVolumeSnapshot: [(c) => ({ method: 'POST', path: `${S}/snapshots/${c.ids.snapshot}/promote`, body: {} }), ADMIN(501)],
  promoteInstanceSnapshot: [(c) => ({ method: 'POST', path: `${S}/images/${c.ids.image}/promote`, body: {} }), ADMIN(501)],
  listArchives: [get(`${S}/archives`), LIST()],
  importArchive: [() => ({ method: 'POST', path: `${S}/archives/import`, body: 'not a tar', headers: { 'Content-Type': 'application/octet-stream' } }), CREATE(400)],
  // Not a tar: refused (400) after the policy let the caller through; nothing is stored.
  uploadArchive: [() => ({ method: 'PUT', path: `${S}/archives/up-${randomUUID()}.tar`, body: 'not a tar', headers: { 'Content-Type': 'application/x-tar' } }), CREATE(400)],
  showArchive: [get(`${S}/archives/none.tar`), LIST(404)],
  deleteArchive: [() => ({ method: 'DELETE', path: `${S}/archives/none.tar` }), [403, 403, 404, 403, 404, 404]],
  downloadArchive: [get(`${S}/archives/none.tar/download`), LIST(404)],
  getMetrics: [get(`${S}/metrics`), all(200)],
  listFaultRules: [get(`${S}/faults`), ADMIN()],
  createFaultRule: [() => ({ method: 'POST', path: `${S}/faults`, body: { fault: { target: 'volume.delete', action: 'delay', delay_ms: 1, project_id: randomUUID() } } }), ADMIN(201)],
  showFaultRule: [get(`${S}/faults/${randomUUID()}`), ADMIN(404)],
  deleteFaultRule: [() => ({ method: 'DELETE', path: `${S}/faults/${randomUUID()}` }), ADMIN(404)],
  clearFaultRules: [() => ({ method: 'DELETE', path: `${S}/faults` }), ADMIN(204)],

  // --- volume (Cinder); {P} is the caller's own project ---
  listVolumeVersions: [get('/volume/'), all(300)],
  showVolumeV3: [get('/volume/v3'), all(200)],
  listVolumes: [get(`${V}/volumes`), LIST()],
  listVolumesDetail: [get(`${V}/volumes/detail`), LIST()],
  createVolume: [() => ({ method: 'POST', path: `${V}/volumes`, body: { volume: { size: 1 } } }), CREATE(202)],
  showVolume: [(c) => get(`${V}/volumes/${c.ids.volume}`)(c, 'member'), READ()],
  updateVolume: [(c) => ({ method: 'PUT', path: `${V}/volumes/${c.ids.volume}`, body: { volume: { name: 'renamed' } } }), WRITE()],
  deleteVolume: [async (c) => ({ method: 'DELETE', path: `${V}/volumes/${await newVolume(c)}` }), WRITE(202)],
  volumeAction: [async (c) => ({ method: 'POST', path: `${V}/volumes/${await newVolume(c)}/action`, body: { 'os-extend': { new_size: 2 } } }), WRITE(202)],
  listVolumeMetadata: [(c) => get(`${V}/volumes/${c.ids.volume}/metadata`)(c, 'member'), READ()],
  mergeVolumeMetadata: [(c) => ({ method: 'POST', path: `${V}/volumes/${c.ids.volume}/metadata`, body: { metadata: { a: 'b' } } }), WRITE()],
  replaceVolumeMetadata: [(c) => ({ method: 'PUT', path: `${V}/volumes/${c.ids.volume}/metadata`, body: { metadata: { k: 'v' } } }), WRITE()],
  showVolumeMetadataItem: [(c) => get(`${V}/volumes/${c.ids.volume}/metadata/k`)(c, 'member'), READ()],
  updateVolumeMetadataItem: [(c) => ({ method: 'PUT', path: `${V}/volumes/${c.ids.volume}/metadata/k`, body: { meta: { k: 'v' } } }), WRITE()],
  deleteVolumeMetadataItem: [async (c, who) => {
    await c.as('member', 'PUT', `${V}/volumes/${c.ids.volume}/metadata/d-${who}`, { meta: { [`d-${who}`]: 'x' } });
    return { method: 'DELETE', path: `${V}/volumes/${c.ids.volume}/metadata/d-${who}` };
  }, WRITE()],
  listSnapshots: [get(`${V}/snapshots`), LIST()],
  listSnapshotsDetail: [get(`${V}/snapshots/detail`), LIST()],
  createSnapshot: [(c) => ({ method: 'POST', path: `${V}/snapshots`, body: { snapshot: { volume_id: c.ids.volume, force: true } } }), WRITE(202)],
  showSnapshot: [(c) => get(`${V}/snapshots/${c.ids.snapshot}`)(c, 'member'), READ()],
  updateSnapshot: [(c) => ({ method: 'PUT', path: `${V}/snapshots/${c.ids.snapshot}`, body: { snapshot: { name: 'renamed' } } }), WRITE()],
  deleteSnapshot: [async (c) => ({ method: 'DELETE', path: `${V}/snapshots/${await newSnapshot(c)}` }), WRITE(202)],
  snapshotAction: [(c) => ({ method: 'POST', path: `${V}/snapshots/${c.ids.snapshot}/action`, body: { 'os-reset_status': { status: 'available' } } }), [403, 403, 404, 403, 403, 202]],
  listSnapshotMetadata: [(c) => get(`${V}/snapshots/${c.ids.snapshot}/metadata`)(c, 'member'), READ()],
  mergeSnapshotMetadata: [(c) => ({ method: 'POST', path: `${V}/snapshots/${c.ids.snapshot}/metadata`, body: { metadata: { a: 'b' } } }), WRITE()],
  replaceSnapshotMetadata: [(c) => ({ method: 'PUT', path: `${V}/snapshots/${c.ids.snapshot}/metadata`, body: { metadata: { k: 'v' } } }), WRITE()],
  showSnapshotMetadataItem: [(c) => get(`${V}/snapshots/${c.ids.snapshot}/metadata/k`)(c, 'member'), READ()],
  updateSnapshotMetadataItem: [(c) => ({ method: 'PUT', path: `${V}/snapshots/${c.ids.snapshot}/metadata/k`, body: { meta: { k: 'v' } } }), WRITE()],
  deleteSnapshotMetadataItem: [async (c, who) => {
    await c.as('member', 'PUT', `${V}/snapshots/${c.ids.snapshot}/metadata/d-${who}`, { meta: { [`d-${who}`]: 'x' } });
    return { method: 'DELETE', path: `${V}/snapshots/${c.ids.snapshot}/metadata/d-${who}` };
  }, WRITE()],
  listVolumeTypes: [get(`${V}/types`), LIST()],
  showVolumeType: [get(`${V}/types/default`), LIST()],
  createVolumeType: [(_c, who) => ({ method: 'POST', path: `${V}/types`, body: { volume_type: { name: `pm-${who}` } } }), ADMIN()],
  updateVolumeType: [async (c) => ({ method: 'PUT', path: `${V}/types/${await newType(c)}`, body: { volume_type: { description: 'd' } } }), ADMIN()],
  deleteVolumeType: [async (c) => ({ method: 'DELETE', path: `${V}/types/${await newType(c)}` }), ADMIN(202)],
  volumeTypeAction: [async (c) => ({ method: 'POST', path: `${V}/types/${await newType(c, false)}/action`, body: { addProjectAccess: { project: c.cast.otherProjectId } } }), ADMIN(202)],
  listVolumeTypeAccess: [async (c) => ({ method: 'GET', path: `${V}/types/${await newType(c, false)}/os-volume-type-access` }), ADMIN()],
  listVolumeTypeExtraSpecs: [(c) => get(`${V}/types/${c.ids.volumeType}/extra_specs`)(c, 'member'), LIST()],
  createVolumeTypeExtraSpecs: [(c) => ({ method: 'POST', path: `${V}/types/${c.ids.volumeType}/extra_specs`, body: { extra_specs: { k: 'v' } } }), ADMIN()],
  showVolumeTypeExtraSpec: [(c) => get(`${V}/types/${c.ids.volumeType}/extra_specs/multiattach`)(c, 'member'), LIST()],
  updateVolumeTypeExtraSpec: [(c) => ({ method: 'PUT', path: `${V}/types/${c.ids.volumeType}/extra_specs/k`, body: { k: 'v2' } }), ADMIN()],
  deleteVolumeTypeExtraSpec: [async (c) => ({ method: 'DELETE', path: `${V}/types/${await newType(c)}/extra_specs/k` }), ADMIN(202)],
  listAvailabilityZones: [get(`${V}/os-availability-zone`), LIST()],
  listVolumeExtensions: [get(`${V}/extensions`), LIST()],
  listVolumeMessages: [() => ({ method: 'GET', path: `${V}/messages`, headers: MV33 }), LIST()],
  showVolumeMessage: [async (c) => ({ method: 'GET', path: `${V}/messages/${await newMessage(c)}`, headers: MV33 }), READ()],
  deleteVolumeMessage: [async (c) => ({ method: 'DELETE', path: `${V}/messages/${await newMessage(c)}`, headers: MV33 }), WRITE(204)],
  listVolumeTransfersLegacy: [() => ({ method: 'GET', path: `${V}/os-volume-transfer`, headers: {} }), LIST()],
  listVolumeTransfersDetailLegacy: [() => ({ method: 'GET', path: `${V}/os-volume-transfer/detail`, headers: {} }), LIST()],
  createVolumeTransferLegacy: [async (c) => ({ method: 'POST', path: `${V}/os-volume-transfer`, body: { transfer: { volume_id: await newVolume(c) } }, headers: {} }), WRITE(202)],
  showVolumeTransferLegacy: [async (c) => ({ method: 'GET', path: `${V}/os-volume-transfer/${(await newTransfer(c)).id}`, headers: {} }), READ()],
  deleteVolumeTransferLegacy: [async (c) => ({ method: 'DELETE', path: `${V}/os-volume-transfer/${(await newTransfer(c)).id}`, headers: {} }), WRITE(202)],
  // Any project's member with the key accepts (the other project's too).
  acceptVolumeTransferLegacy: [async (c) => {
    const t = await newTransfer(c);
    return { method: 'POST', path: `${V}/os-volume-transfer/${t.id}/accept`, body: { accept: { auth_key: t.auth_key } }, headers: {} };
  }, [403, 403, 202, 403, 202, 202]],
  listVolumeTransfers: [() => ({ method: 'GET', path: `${V}/volume-transfers`, headers: MV355 }), LIST()],
  listVolumeTransfersDetail: [() => ({ method: 'GET', path: `${V}/volume-transfers/detail`, headers: MV355 }), LIST()],
  createVolumeTransfer: [async (c) => ({ method: 'POST', path: `${V}/volume-transfers`, body: { transfer: { volume_id: await newVolume(c) } }, headers: MV355 }), WRITE(202)],
  showVolumeTransfer: [async (c) => ({ method: 'GET', path: `${V}/volume-transfers/${(await newTransfer(c)).id}`, headers: MV355 }), READ()],
  deleteVolumeTransfer: [async (c) => ({ method: 'DELETE', path: `${V}/volume-transfers/${(await newTransfer(c)).id}`, headers: MV355 }), WRITE(202)],
  // Any project's member with the key accepts (the other project's too).
  acceptVolumeTransfer: [async (c) => {
    const t = await newTransfer(c);
    return { method: 'POST', path: `${V}/volume-transfers/${t.id}/accept`, body: { accept: { auth_key: t.auth_key } }, headers: MV355 };
  }, [403, 403, 202, 403, 202, 202]],
  showVolumeSummary: [() => ({ method: 'GET', path: `${V}/volumes/summary`, headers: { 'OpenStack-API-Version': 'volume 3.12' } }), LIST()],
  listResourceFilters: [() => ({ method: 'GET', path: `${V}/resource_filters`, headers: { 'OpenStack-API-Version': 'volume 3.33' } }), LIST()],
  showLimits: [get(`${V}/limits`), LIST()],
  showQuotaSet: [(c) => get(`${V}/os-quota-sets/${c.cast.projectId}`)(c, 'member'), [403, 403, 403, 200, 200, 200]],
  updateQuotaSet: [(c) => ({ method: 'PUT', path: `${V}/os-quota-sets/${c.cast.otherProjectId}`, body: { quota_set: { volumes: 20 } } }), ADMIN()],
  deleteQuotaSet: [(c) => ({ method: 'DELETE', path: `${V}/os-quota-sets/${c.cast.otherProjectId}` }), ADMIN()],
  showQuotaSetDefaults: [(c) => get(`${V}/os-quota-sets/${c.cast.projectId}/defaults`)(c, 'member'), [403, 403, 403, 200, 200, 200]],
};

async function newServer(c: Ctx, metadata: Record<string, string> = {}): Promise<string> {
  return (await c.as('member', 'POST', `${C}/servers`, { server: { name: 'd', imageRef: c.ids.busybox, flavorRef: '1', networks: 'none', metadata } })).body.server.id;
}
async function newServerGroup(c: Ctx): Promise<string> {
  return (await c.as('member', 'POST', `${C}/os-server-groups`, { server_group: { name: `g-${randomUUID()}`, policies: ['affinity'] } })).body.server_group.id;
}
/** A group of the member's for `who` to delete: the one made before if it is still there (every service's run builds each cell once to read its path). */
async function serverGroupFor(c: Ctx, who: Persona): Promise<string> {
  const cached = c.ids[`group-${who}`];
  if (cached && (await c.as('member', 'GET', `${C}/os-server-groups/${cached}`)).status === 200) return cached;
  return (c.ids[`group-${who}`] = await newServerGroup(c));
}
async function newKeypair(c: Ctx): Promise<string> {
  const name = `k-${randomUUID()}`;
  await c.as('member', 'POST', `${C}/os-keypairs`, { keypair: { name } });
  return name;
}
async function newImage(c: Ctx): Promise<string> {
  return (await c.as('member', 'POST', `${G}/images`, { name: 'd', disk_format: 'raw', container_format: 'bare' })).body.id;
}
async function newActiveImage(c: Ctx): Promise<string> {
  const id = await newImage(c);
  await c.as('member', 'PUT', `${G}/images/${id}/file`, Buffer.from('data'), { 'Content-Type': 'application/octet-stream' });
  return id;
}
async function newVolume(c: Ctx): Promise<string> {
  const made = await c.as('member', 'POST', `${V}/volumes`, { volume: { size: 1 } });
  if (made.status !== 202) throw new Error(`volume create: ${made.status} ${made.text}`);
  const id = made.body.volume.id;
  await pollUntil(() => c.as('member', 'GET', `${V}/volumes/${id}`), (r) => r.body.volume?.status === 'available', 30_000, `volume ${id}`);
  return id;
}
const MV355 = { 'OpenStack-API-Version': 'volume 3.55' };
const MV33 = { 'OpenStack-API-Version': 'volume 3.3' };
/** A user message of the member's project: a volume create a fault rule fails. */
async function newMessage(c: Ctx): Promise<string> {
  await c.as('seed', 'POST', '/snapstack/v1/faults', { fault: { target: 'volume.create', action: 'fail', project_id: c.cast.projectId } });
  const made = await c.as('member', 'POST', `${V}/volumes`, { volume: { size: 1 } });
  const id = made.body.volume.id;
  await pollUntil(() => c.as('member', 'GET', `${V}/volumes/${id}`), (r) => r.body.volume?.status === 'error', 30_000, `volume ${id} in error`);
  const listed = await c.as('member', 'GET', `${V}/messages?resource_uuid=${id}`, undefined, MV33);
  if (!listed.body.messages?.[0]) throw new Error(`no message for volume ${id}: ${listed.text}`);
  return listed.body.messages[0].id;
}
/** A transfer of a new volume of the member's project. */
async function newTransfer(c: Ctx): Promise<{ id: string; auth_key: string }> {
  const made = await c.as('member', 'POST', `${V}/os-volume-transfer`, { transfer: { volume_id: await newVolume(c) } });
  if (made.status !== 202) throw new Error(`transfer create: ${made.status} ${made.text}`);
  return made.body.transfer;
}
/** A volume type (made by the seeded admin) with the extra specs k and multiattach. */
async function newType(c: Ctx, isPublic = true): Promise<string> {
  const made = await c.as('seed', 'POST', `${V}/types`, {
    volume_type: { name: `pm-${randomUUID()}`, extra_specs: { k: 'v', multiattach: '<is> False' }, 'os-volume-type-access:is_public': isPublic },
  });
  if (made.status !== 200) throw new Error(`volume type create: ${made.status} ${made.text}`);
  return made.body.volume_type.id;
}
async function newSnapshot(c: Ctx): Promise<string> {
  const id = (await c.as('member', 'POST', `${V}/snapshots`, { snapshot: { volume_id: c.ids.volume, force: true } })).body.snapshot.id;
  await pollUntil(() => c.as('member', 'GET', `${V}/snapshots/${id}`), (r) => r.body.snapshot?.status === 'available', 30_000, `snapshot ${id}`);
  return id;
}
/** A private metadef namespace of P with nothing in it (made by an admin). */
async function newNamespace(c: Ctx): Promise<string> {
  const name = `ns-${randomUUID()}`;
  const made = await c.as('seed', 'POST', MD, { namespace: name, visibility: 'private', owner: c.cast.projectId });
  if (made.status !== 201) throw new Error(`namespace create: ${made.status} ${made.text}`);
  return name;
}
async function newProject(c: Ctx): Promise<string> {
  return (await c.as('seed', 'POST', `${I}/projects`, { project: { name: `p-${randomUUID()}` } })).body.project.id;
}
async function newUser(c: Ctx): Promise<string> {
  return (await c.as('seed', 'POST', `${I}/users`, { user: { name: `u-${randomUUID()}` } })).body.user.id;
}
async function memberToken(c: Ctx): Promise<string> {
  const r = await c.as('seed', 'POST', `${I}/auth/tokens`, { auth: { identity: { methods: ['password'], password: { user: { id: c.cast.callers.member.userId, password: c.ids.password } } } } });
  return r.headers.get('x-subject-token')!;
}

/** Operations whose admin call would wipe the matrix's own targets: their rule is checked where named. */
const ELSEWHERE: Record<string, string> = {
  resetInstance: 'admin only: test/integration/api/snapstack/reset.test.ts (403 for a member, 401 without a token, 200 for an admin)',
};

describe('policy matrix: every operation x every kind of caller', () => {
  let h: Harness;
  let seed: Session;
  let ctx: Ctx;
  beforeAll(async () => {
    const unlimited = { ...loadConfig({}).volumeQuotas, volumes: -1, snapshots: -1, gigabytes: -1 };
    h = await startHarness({ dockerMode: 'none', volumeQuotas: unlimited });
    seed = await h.login('admin');
    const cast = await makeCast(h, seed);
    const callerOf = (who: Persona | 'seed'): Caller => (who === 'seed' ? { token: seed.token, userId: seed.userId, projectId: seed.projectId } : cast.callers[who]);
    ctx = {
      cast,
      ids: {},
      as: (who, method, path, body, headers = {}) => {
        const caller = callerOf(who);
        return h.request(method, path.replace('{P}', caller.projectId ?? cast.projectId), body, { 'X-Auth-Token': caller.token, 'OpenStack-API-Version': 'compute 2.37', ...headers });
      },
    };
    ctx.ids.password = cast.password;
    ctx.ids.busybox = (await seed.request('GET', `${G}/images?name=busybox`)).body.images[0].id;
    // Its metadata is set at create: the server ends in ERROR here, where Nova refuses metadata changes.
    ctx.ids.server = await newServer(ctx, { k: 'v', ...Object.fromEntries(PERSONAS.map((who) => [`d-${who}`, 'x'])) });
    ctx.ids.image = await newImage(ctx);
    ctx.ids.volume = await newVolume(ctx);
    ctx.ids.snapshot = await newSnapshot(ctx);
    ctx.ids.volumeType = await newType(ctx);
    ctx.ids.shared = (await ctx.as('member', 'POST', `${G}/images`, { name: 's', disk_format: 'raw', container_format: 'bare', visibility: 'shared' })).body.id;
    await ctx.as('member', 'POST', `${G}/images/${ctx.ids.shared}/members`, { member: cast.otherProjectId });
    await ctx.as('member', 'PUT', `${V}/volumes/${ctx.ids.volume}/metadata/k`, { meta: { k: 'v' } });
    ctx.ids.ns = await newNamespace(ctx);
    await ctx.as('seed', 'POST', `${MD}/${ctx.ids.ns}/objects`, { name: 'o' });
    await ctx.as('seed', 'POST', `${MD}/${ctx.ids.ns}/properties`, { name: 'p', title: 'T', type: 'string' });
    await ctx.as('seed', 'POST', `${MD}/${ctx.ids.ns}/tags/t`);
    await ctx.as('member', 'PUT', `${V}/snapshots/${ctx.ids.snapshot}/metadata/k`, { meta: { k: 'v' } });
  });
  afterAll(async () => { await h?.stop(); });

  it('covers every operation of the OpenAPI files', () => {
    const ops = loadOperations().map((o) => o.operationId).filter((id) => !(id in ELSEWHERE)).sort();
    expect(Object.keys(TABLE).sort()).toEqual(ops);
  });

  const services = [['compute', '/compute'], ['identity', '/identity'], ['image', '/image'], ['snapstack', '/snapstack'], ['volume', '/volume']] as const;
  it.each(services)('answers each caller of %s as the default policies do', async (_service, prefix) => {
    const mismatches: string[] = [];
    for (const [op, [build, expected]] of Object.entries(TABLE)) {
      const probe = await build(ctx, 'member');
      if (!probe.path.startsWith(prefix)) continue;
      // Targets are prepared one after the other; then the six callers run side by side.
      const reqs: Array<Req | Error> = [];
      for (const who of PERSONAS) reqs.push(await Promise.resolve(build(ctx, who)).catch((err: Error) => err));
      await Promise.all(PERSONAS.map(async (who, i) => {
        try {
          const req = reqs[i];
          if (req instanceof Error) throw req;
          const res = await ctx.as(who, req.method, req.path, req.body, req.headers);
          if (res.status !== expected[i]) mismatches.push(`${op} as ${who}: ${res.status} (expected ${expected[i]}) ${res.text.slice(0, 160)}`);
        } catch (err) {
          mismatches.push(`${op} as ${who}: setup failed: ${(err as Error).message}`);
        }
      }));
    }
    expect(mismatches).toEqual([]);
  }, 300_000);
});
