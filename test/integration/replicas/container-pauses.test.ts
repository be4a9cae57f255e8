/**
 * A container's pause holds counted across replicas: two ContainerPauses, each on its own
 * engine connection with its own ledger on one PostgreSQL (as two replicas have), hold one
 * running container. The first hold anywhere pauses it, the last release anywhere unpauses it;
 * a container the user paused stays paused.
 */
import { randomBytes } from 'crypto';
import Docker from 'dockerode';
import { createLogger } from '../../../src/logger';
import { AdvisoryPauseLedger, ContainerPauses } from '../../../src/runtime/container-pauses';
import { managedLabels, removeInstanceObjects } from '../../../src/runtime/docker-engine';
import { replicaDatabase, type ReplicaDatabase } from '../../support/replica-helpers';
import { HELPER_IMAGE, describeWithDocker } from '../volume-data/volume-data-harness';

jest.setTimeout(120_000);

describeWithDocker('container pauses across replicas', () => {
  const instanceId = `t${randomBytes(4).toString('hex')}`;
  const log = createLogger('silent');
  let cfg: ReplicaDatabase;
  const ledgers: AdvisoryPauseLedger[] = [];
  const engine = () => new Docker({ socketPath: '/var/run/docker.sock' });

  beforeAll(async () => {
    cfg = await replicaDatabase();
  });
  afterAll(async () => {
    for (const l of ledgers) await l.close();
    await removeInstanceObjects(engine(), instanceId, log).catch(() => undefined);
    await cfg?.cleanup();
  });

  /** A replica's pause counter: its own engine connection and ledger. */
  function replica(): ContainerPauses {
    const ledger = new AdvisoryPauseLedger(cfg.databaseUrl, log, { maxConnections: 2 });
    ledgers.push(ledger);
    const pauses = new ContainerPauses(engine());
    pauses.useLedger(ledger);
    return pauses;
  }

  async function running(): Promise<Docker.Container> {
    const c = await engine().createContainer({ Image: HELPER_IMAGE, Cmd: ['sleep', '600'], Labels: managedLabels(instanceId), HostConfig: { NetworkMode: 'none' } });
    await c.start();
    return c;
  }
  const state = async (c: Docker.Container) => (await c.inspect()).State.Status;

  it('the first hold in any replica pauses, the last release in any replica unpauses', async () => {
    const a = replica();
    const b = replica();
    const c = await running();
    const ha = await a.hold(c.id);
    expect(ha.paused).toBe(true);
    expect(await state(c)).toBe('paused');
    const hb = await b.hold(c.id);
    expect(hb.paused).toBe(true);
    expect(await replica().heldAnywhere(c.id)).toBe(true); // a third replica sees the holds
    await ha.release(); // A is done; B still copies
    expect(await state(c)).toBe('paused');
    const ha2 = await a.hold(c.id); // and A comes back meanwhile
    await hb.release();
    expect(await state(c)).toBe('paused');
    await ha2.release();
    expect(await state(c)).toBe('running');
    expect(await a.heldAnywhere(c.id)).toBe(false);
  });

  it("a container paused by its user is left paused by every replica's holds", async () => {
    const a = replica();
    const b = replica();
    const c = await running();
    await c.pause();
    const ha = await a.hold(c.id);
    const hb = await b.hold(c.id);
    expect([ha.paused, hb.paused]).toEqual([false, false]);
    await hb.release();
    await ha.release();
    expect(await state(c)).toBe('paused');
  });
});
