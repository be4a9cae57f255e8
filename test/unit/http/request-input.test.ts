import { nestingDepthExceeds } from '../../../src/http/request-input';
import { ruleOf } from '../../../src/http/policy';
import { loadSpec } from '../../../src/http/openapi-spec';

describe('nestingDepthExceeds', () => {
  it('counts brackets outside strings only, escapes included', () => {
    expect(nestingDepthExceeds('[[[]]]', 3)).toBe(false);
    expect(nestingDepthExceeds('[[[[]]]]', 3)).toBe(true);
    expect(nestingDepthExceeds(`{"a": "${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(nestingDepthExceeds(`{"a": "\\"${'{'.repeat(10)}"}`, 3)).toBe(false);
    expect(nestingDepthExceeds(`{"a": "\\\\", "b": [[[[1]]]]}`, 3)).toBe(true);
    expect(nestingDepthExceeds('['.repeat(100_000), 32)).toBe(true);
  });
});

describe('the policy rules', () => {
  it('give every operation a rule: project reader/member by default, admin for identity writes', () => {
    const rules: Record<string, string> = {};
    for (const [service, file] of [['compute', 'compute.yaml'], ['identity', 'identity.yaml'], ['image', 'image.yaml'], ['volume', 'volume.yaml'], ['snapstack', 'snapstack.yaml']]) {
      for (const op of loadSpec(file).operations) rules[op.operationId] = ruleOf(service, op);
    }
    expect(rules).toMatchObject({
      createToken: 'public', getHealth: 'public', listServers: 'project_reader', createServer: 'project_member',
      createFlavor: 'admin', createUser: 'admin', listProjects: 'admin', updateUser: 'token', showUser: 'token',
      updateQuotaSet: 'admin', listVolumes: 'project_reader', deleteImage: 'project_member', promoteVolumeSnapshot: 'admin',
    });
  });

  it('check path and query values against the spec, with default bounds', () => {
    const flavors = loadSpec('compute.yaml').operations.find((o) => o.operationId === 'listFlavors')!;
    const minDisk = flavors.params.find((p) => p.name === 'minDisk')!;
    expect(minDisk.validate({ v: '20' })).toBe(true);
    expect(minDisk.validate({ v: '99999999999999999999999' })).toBe(false);
    expect(minDisk.validate({ v: '-1' })).toBe(false);
    expect(minDisk.validate({ v: 'x' })).toBe(false);
    const show = loadSpec('compute.yaml').operations.find((o) => o.operationId === 'showServer')!;
    const id = show.params.find((p) => p.name === 'server_id')!;
    expect(id.validate({ v: 'x'.repeat(255) })).toBe(true);
    expect(id.validate({ v: 'x'.repeat(256) })).toBe(false);
  });
});
