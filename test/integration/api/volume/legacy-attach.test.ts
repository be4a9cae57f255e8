// Cinder's legacy attach actions (bookkeeping only), next to a real Nova attachment of a
// Snapstack server, whose container mount they must leave alone.
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, containerOf, dockerExec } from '../../../support/compute-helpers';
import { V, createVolume, fault, waitFor } from './volume-test-helpers';

describe('Cinder legacy attach actions', () => {
  let h: Harness;
  let demo: Session;
  let admin: Session;

  beforeAll(async () => {
    h = await startHarness();
    [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  const act = (s: Session, id: string, body: unknown) => s.request('POST', V(`/volumes/${id}/action`), body);
  const show = async (s: Session, id: string) => (await s.request('GET', V(`/volumes/${id}`))).body.volume;

  it('reserve, unreserve, attach to an instance or a host, begin/roll detaching, detach: statuses and attachments as Cinder records them', async () => {
    const v = await createVolume(demo);
    expect((await act(demo, v.id, { 'os-reserve': {} })).status).toBe(202);
    expect((await show(demo, v.id)).status).toBe('attaching');
    expect(fault(await act(demo, v.id, { 'os-reserve': null }))).toEqual({
      name: 'badRequest', code: 400, message: 'Invalid volume: Volume status must be available to reserve, but the status is attaching.',
    });
    expect((await act(demo, v.id, { 'os-unreserve': {} })).status).toBe(202);
    expect((await show(demo, v.id)).status).toBe('available');
    // Unreserve of a volume not reserved: nothing to do.
    expect((await act(demo, v.id, { 'os-unreserve': {} })).status).toBe(202);

    const instance = '0b5e5b4c-6c5a-4f7e-9d43-7d5b1f3c2a10';
    expect((await act(demo, v.id, { 'os-attach': { instance_uuid: instance, mountpoint: '/dev/vdc' } })).status).toBe(202);
    const attached = await show(demo, v.id);
    expect(attached.status).toBe('in-use');
    expect(attached.metadata).toEqual({ readonly: 'False', attached_mode: 'rw' });
    expect(attached.attachments).toEqual([{
      id: v.id, attachment_id: expect.any(String), volume_id: v.id, server_id: instance, host_name: null, device: '/dev/vdc', attached_at: expect.any(String),
    }]);
    expect(fault(await act(demo, v.id, { 'os-attach': { host_name: 'h1', mountpoint: '/dev/vdd' } })).message)
      .toBe('Error attaching volume - InvalidVolume: Invalid volume: volume is already attached and multiple attachments are not enabled.');
    expect(fault(await act(demo, v.id, { 'os-update_readonly_flag': { readonly: true } })).message)
      .toBe(`Invalid volume: Volume ${v.id} status must be available to update readonly flag, but current status is: in-use.`);
    expect((await demo.request('DELETE', V(`/volumes/${v.id}`))).status).toBe(400);

    expect((await act(demo, v.id, { 'os-begin_detaching': {} })).status).toBe(202);
    expect((await show(demo, v.id)).status).toBe('detaching');
    expect((await act(demo, v.id, { 'os-roll_detaching': {} })).status).toBe(202);
    expect((await show(demo, v.id)).status).toBe('in-use');
    expect((await act(demo, v.id, { 'os-detach': {} })).status).toBe(202);
    const detached = await show(demo, v.id);
    expect(detached).toMatchObject({ status: 'available', attachments: [], metadata: { readonly: 'False' } });
    expect(fault(await act(demo, v.id, { 'os-begin_detaching': {} })).message)
      .toBe("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");

    // Read-only: an rw attach is refused, an ro one recorded; the flag shows in the metadata.
    expect((await act(demo, v.id, { 'os-update_readonly_flag': { readonly: 'true' } })).status).toBe(202);
    expect((await show(demo, v.id)).metadata.readonly).toBe('True');
    expect(fault(await act(demo, v.id, { 'os-attach': { host_name: 'h1', mountpoint: '/dev/vdd' } })).message)
      .toBe(`Invalid attaching mode 'rw' for volume ${v.id}.`);
    expect((await act(demo, v.id, { 'os-attach': { host_name: 'h1', mountpoint: '/dev/vdd', mode: 'ro' } })).status).toBe(202);
    const onHost = await show(demo, v.id);
    expect(onHost.attachments[0]).toMatchObject({ server_id: null, host_name: 'h1', device: '/dev/vdd' });
    expect(onHost.metadata).toEqual({ readonly: 'True', attached_mode: 'ro' });
    expect((await act(demo, v.id, { 'os-detach': { attachment_id: onHost.attachments[0].attachment_id } })).status).toBe(202);
    expect((await show(demo, v.id)).status).toBe('available');

    // Bad bodies, as Cinder's schemas refuse them.
    expect((await act(demo, v.id, { 'os-attach': { mountpoint: '/dev/vdc' } })).status).toBe(400);
    expect((await act(demo, v.id, { 'os-attach': { instance_uuid: instance, mountpoint: '/dev/vdc', mode: 'rx' } })).status).toBe(400);
    expect((await act(demo, v.id, { 'os-update_readonly_flag': {} })).status).toBe(400);
    expect(fault(await act(demo, v.id, { 'os-attach': { instance_uuid: 'not-a-uuid', mountpoint: '/dev/vdc' } })).message)
      .toBe("Invalid input for field/attribute instance_uuid. Value: not-a-uuid. 'not-a-uuid' is not a 'uuid'");
    expect((await act(demo, v.id, { 'os-detach': { attachment_id: 'nope' } })).status).toBe(400);
    expect((await act(demo, 'b5bd1a4e-0000-4000-8000-000000000000', { 'os-reserve': {} })).status).toBe(404);
    await demo.request('DELETE', V(`/volumes/${v.id}`));
  });

  it('os-force_detach is admin-only and detaches an attachment in error', async () => {
    const v = await createVolume(demo);
    await act(demo, v.id, { 'os-attach': { instance_uuid: '7c1a5f0e-2d3b-4c5d-8e9f-0a1b2c3d4e5f', mountpoint: '/dev/vdb' } });
    const attachmentId = (await show(demo, v.id)).attachments[0].attachment_id;
    expect((await act(admin, v.id, { 'os-reset_status': { status: 'error' } })).status).toBe(202);
    expect(fault(await act(demo, v.id, { 'os-force_detach': { attachment_id: attachmentId, connector: null } })))
      .toEqual({ name: 'forbidden', code: 403, message: "Policy doesn't allow volume_extension:volume_admin_actions:force_detach to be performed." });
    expect((await act(admin, v.id, { 'os-force_detach': { attachment_id: attachmentId, connector: null } })).status).toBe(202);
    expect(await show(demo, v.id)).toMatchObject({ status: 'available', attachments: [] });
    // A volume only reset to 'attaching' has no attachment: a forced delete goes ahead (a plain one is refused).
    await act(admin, v.id, { 'os-reset_status': { status: 'attaching' } });
    expect((await demo.request('DELETE', V(`/volumes/${v.id}`))).status).toBe(400);
    expect((await act(admin, v.id, { 'os-force_delete': {} })).status).toBe(202);
    await waitFor(demo, 'volumes', v.id, ['gone']);
  });

  it("leaves a volume Nova attached to a server alone: its attachment, its status and the container's mount", async () => {
    const image = await busyboxImage(demo);
    const server = await bootServer(demo, { imageRef: image.id });
    const v = await createVolume(demo);
    const attach = await demo.request('POST', `${COMPUTE}/servers/${server.id}/os-volume_attachments`, { volumeAttachment: { volumeId: v.id } });
    expect(attach.status).toBe(200);
    const inUse = await waitFor(demo, 'volumes', v.id, ['in-use']);
    const attachment = inUse.attachments[0];
    const c = (await containerOf(h.app.instanceId, server.id))!;
    await dockerExec(c.Id, 'echo kept > /mnt/vdb/f');

    const refusal = { name: 'conflictingRequest', code: 409, message: `Detach volume from instance ${server.id} using the Compute API` };
    expect(fault(await act(demo, v.id, { 'os-detach': {} }))).toEqual(refusal);
    expect(fault(await act(demo, v.id, { 'os-detach': { attachment_id: attachment.attachment_id } }))).toEqual(refusal);
    expect(fault(await act(admin, v.id, { 'os-force_detach': { attachment_id: attachment.attachment_id } }))).toEqual(refusal);
    expect(fault(await act(demo, v.id, { 'os-reserve': {} })).message).toBe('Invalid volume: Volume status must be available to reserve, but the status is in-use.');
    expect((await act(demo, v.id, { 'os-attach': { instance_uuid: server.id, mountpoint: '/dev/vdc' } })).status).toBe(202);
    // The same server's attachment is Cinder's "already tracked": nothing new is recorded.
    expect((await show(demo, v.id)).attachments).toEqual([attachment]);

    const after = await show(demo, v.id);
    expect(after).toMatchObject({ status: 'in-use', attachments: [attachment] });
    const same = (await containerOf(h.app.instanceId, server.id))!;
    expect(same.Id).toBe(c.Id);
    expect(await dockerExec(same.Id, 'cat /mnt/vdb/f')).toBe('kept\n');

    // Nova's own detach still works.
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${server.id}/os-volume_attachments/${v.id}`)).status).toBe(202);
    await waitFor(demo, 'volumes', v.id, ['available']);
    await demo.request('DELETE', `${COMPUTE}/servers/${server.id}`);
    await demo.request('DELETE', V(`/volumes/${v.id}`));
  }, 120_000);
});
