#!/usr/bin/env bash
# The example files work as they say. Every examples/**/*.yaml and *.json
# and the Dockerfile parse; then the flows they describe run here, with the
# commands, arguments and environment taken from the files (nothing retyped):
#   - Dockerfile: the static binary from `just static` is what both images
#     hold and run (ENTRYPOINT), so a container's args run the binary;
#   - examples/kubernetes/pregenerated.yaml + cluster-configmap.yaml: the
#     init container of every pod (replicas), each with its own volume
#     (volumeClaimTemplates) and the ConfigMap mounted, with its env
#     ($(POD_NAME) expanded as Kubernetes does): each volume gets only its
#     own node, cmp-identical to a full `raft generate` of the ConfigMap,
#     owned by --chown's user (as root), verifying; the op-conductor
#     container's storage dir, server ID and advertised address point at
#     that node; a restart (the init container again) changes nothing, not
#     even an mtime; a changed ConfigMap stops the pod, nothing changed;
#   - examples/kubernetes/bootstrap.yaml: the tools init container's copy,
#     then the op-conductor container's shell script for every pod, with a
#     fake op-conductor as the image's binary: sequencer-0 alone starts with
#     --raft.bootstrap=true, every pod exec's op-conductor with its storage
#     dir and ID; restarted with Raft state sequencer-0 starts with
#     --raft.bootstrap=false (op-conductor would start paused otherwise), and
#     with a lost volume once CLUSTER_FORMED=true, also false;
#   - examples/systemd/: the unit's ExecStart lines with its EnvironmentFile
#     (op-conductor-init.env) and examples/cluster.json installed where the
#     unit's comment says, in a scratch root: the first start generates and
#     verifies, the second changes nothing.
# Absolute paths of the files map into a per-pod (per-machine) scratch root.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp examples
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml is missing (run.sh installs it)" >&2; exit 1; }

if ! cc -std=c11 -O1 -Wall -Wextra -Werror -o "$tmp/fake-op-conductor" \
	"$OCI_SRC/tests/cli/fake-op-conductor.c" 2>"$tmp/cc.err"; then
	bad "compile the fake op-conductor: $(cat "$tmp/cc.err")"
	finish
fi

python3 - "$OCI_SRC" "$OCI_BIN" "$tmp" "$tmp/fake-op-conductor" >"$tmp/py.out" 2>&1 <<'PY'
import hashlib, json, os, re, shlex, shutil, subprocess, sys
import yaml

src, binary, tmp, fake = sys.argv[1:5]
root_user = os.geteuid() == 0
fails = 0


def ok(msg):
    print('ok   ' + msg)


def bad(msg):
    global fails
    fails += 1
    print('FAIL ' + msg)


def check(cond, msg):
    ok(msg) if cond else bad(msg)


# ---- 1. everything parses -------------------------------------------------
parsed = {}
for d, _, files in os.walk(os.path.join(src, 'examples')):
    for f in sorted(files):
        p = os.path.join(d, f)
        rel = os.path.relpath(p, src)
        try:
            if f.endswith(('.yaml', '.yml')):
                parsed[rel] = [x for x in yaml.safe_load_all(open(p)) if x is not None]
            elif f.endswith('.json'):
                parsed[rel] = json.load(open(p))
            else:
                continue
            ok('%s parses' % rel)
        except Exception as e:  # noqa
            bad('%s does not parse: %s' % (rel, e))
check(len(parsed) >= 4, '%d YAML/JSON examples found' % len(parsed))


def k8s(rel, kind, name=None):
    for o in parsed.get(rel, []):
        if o.get('kind') == kind and (name is None or o['metadata']['name'] == name):
            return o
    bad('%s has no %s %s' % (rel, kind, name or ''))
    raise SystemExit(1)


# every ConfigMap's JSON values parse too, and every cluster file is one raft generate accepts
clusters = {}
for rel, objs in parsed.items():
    if not rel.endswith(('.yaml', '.yml')):
        continue
    for o in objs:
        if o.get('kind') == 'ConfigMap':
            for key, val in o.get('data', {}).items():
                if key.endswith('.json'):
                    try:
                        json.loads(val)
                        ok('%s: ConfigMap %s key %s is JSON' % (rel, o['metadata']['name'], key))
                    except ValueError as e:
                        bad('%s: ConfigMap %s key %s: %s' % (rel, o['metadata']['name'], key, e))
                    clusters['%s:%s' % (rel, key)] = val
clusters['examples/cluster.json'] = open(os.path.join(src, 'examples/cluster.json')).read()
for what, text in clusters.items():
    d = os.path.join(tmp, 'ref', re.sub(r'\W', '_', what))
    os.makedirs(d)
    open(d + '.json', 'w').write(text)
    r = subprocess.run([binary, 'raft', 'generate', '--config', d + '.json', '--output-dir', d],
                       capture_output=True, text=True, env={'PATH': os.environ['PATH']})
    check(r.returncode == 0, '%s: raft generate --config accepts it%s' % (what, '' if r.returncode == 0 else ': ' + r.stderr.strip()))

# ---- the Dockerfile: what each image holds and runs ------------------------
stages, cur = {}, None
for line in open(os.path.join(src, 'Dockerfile')):
    line = line.strip()
    if not line or line.startswith('#'):
        continue
    word, _, rest = line.partition(' ')
    word = word.upper()
    if word == 'FROM':
        parts = rest.split()
        cur = {'from': parts[0], 'copy': {}, 'entrypoint': None}
        stages[parts[2] if len(parts) > 2 and parts[1].upper() == 'AS' else '(default)'] = cur
    elif word == 'COPY':
        s, dst = rest.split()
        cur['copy'][dst] = s
    elif word == 'ENTRYPOINT':
        cur['entrypoint'] = json.loads(rest)
final = list(stages.values())[-1]
check(final['from'] == 'scratch', 'Dockerfile: the default (last) image is FROM scratch')
static_out = 'build-static/op-conductor-init'
justfile = open(os.path.join(src, 'justfile')).read()
check(static_out in justfile, 'Dockerfile: %s is what `just static` builds' % static_out)
image_files = {}
for name, st in stages.items():
    check(list(st['copy'].values()) == [static_out] and st['entrypoint'] and st['entrypoint'][0] in st['copy'],
          'Dockerfile: image %s holds the static binary and runs it (%s)' % (name, st['entrypoint']))
    for dst in st['copy']:
        image_files[dst] = binary   # the binary under test stands in for the static one
entrypoint = final['entrypoint']


# ---- helpers: a pod's environment, paths into a scratch root ---------------
def k8s_expand(s, env):
    # $(VAR) of a variable defined earlier; $$ is a literal $ (Kubernetes' rules)
    return re.sub(r'\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)',
                  lambda m: '$' if m.group(0) == '$$' else env.get(m.group(1), m.group(0)), s)


def pod_env(container, pod):
    env = {}
    for e in container.get('env', []):
        if 'value' in e:
            env[e['name']] = k8s_expand(str(e['value']), env)
        elif e.get('valueFrom', {}).get('fieldRef', {}).get('fieldPath') == 'metadata.name':
            env[e['name']] = pod
        else:
            bad('env %s: unsupported source %s' % (e['name'], e))
    return env


def in_root(root, v, files=None):
    """An absolute path of the examples, as seen inside `root`."""
    for p, real in (files or {}).items():
        if v == p:
            return real
    if v.startswith('/'):
        return root + v
    return v


def listing(d):
    out = []
    for base, dirs, files in os.walk(d):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(base, n)
            st = os.lstat(p)
            h = hashlib.sha256(open(p, 'rb').read()).hexdigest() if os.path.isfile(p) else ''
            out.append((os.path.relpath(p, d), st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, h))
    return out


def run(argv, env, **kw):
    e = {'PATH': os.environ['PATH']}
    e.update(env)
    return subprocess.run(argv, env=e, capture_output=True, text=True, **kw)


def volumes_of(sts, root, configmaps):
    """mountPath of every volume a pod's containers mount -> its directory in root."""
    spec = sts['spec']['template']['spec']
    names = {v['metadata']['name'] for v in sts['spec'].get('volumeClaimTemplates', [])}
    for v in spec.get('volumes', []):
        names.add(v['name'])
        if 'configMap' in v:
            cm = configmaps[v['configMap']['name']]
            check(cm['metadata'].get('namespace') == sts['metadata'].get('namespace'),
                  'ConfigMap %s is in the StatefulSet\'s namespace' % cm['metadata']['name'])
            v['_data'] = cm['data']
    for c in spec.get('initContainers', []) + spec.get('containers', []):
        for m in c.get('volumeMounts', []):
            if m['name'] not in names:
                bad('%s mounts an undefined volume %s' % (c['name'], m['name']))
            os.makedirs(root + m['mountPath'], exist_ok=True)
            for v in spec.get('volumes', []):
                if v['name'] == m['name'] and '_data' in v:
                    for key, val in v['_data'].items():
                        open(os.path.join(root + m['mountPath'], key), 'w').write(val)


def container_argv(c, env, root, files):
    argv = [k8s_expand(str(a), env) for a in c.get('command', entrypoint)] + \
           [k8s_expand(str(a), env) for a in c.get('args', [])]
    return [in_root(root, a, files) for a in argv]


# ---- 2. approach 1: pre-generated state, one node per pod -----------------
cm_rel = 'examples/kubernetes/cluster-configmap.yaml'
cms = {o['metadata']['name']: o for o in parsed.get(cm_rel, []) if o.get('kind') == 'ConfigMap'}
sts = k8s('examples/kubernetes/pregenerated.yaml', 'StatefulSet')
spec = sts['spec']['template']['spec']
init = spec['initContainers'][0]
main = spec['containers'][0]
pods = ['%s-%d' % (sts['metadata']['name'], i) for i in range(sts['spec']['replicas'])]
cmkey = [v for v in spec['volumes'] if 'configMap' in v][0]['configMap']['name']
cluster = json.loads(cms[cmkey]['data']['cluster.json'])
ref = os.path.join(tmp, 'ref', re.sub(r'\W', '_', cm_rel + ':cluster.json'))
chown = None
for pod in pods:
    root = os.path.join(tmp, 'pods', pod)
    volumes_of(sts, root, cms)
    env = {k: in_root(root, v) for k, v in pod_env(init, pod).items()}
    if 'OP_CONDUCTOR_INIT_CHOWN' in env:
        chown = env['OP_CONDUCTOR_INIT_CHOWN']
        if not root_user:
            del env['OP_CONDUCTOR_INIT_CHOWN']   # only root may give files away
    argv = container_argv(init, env, root, image_files)
    r = run(argv, env)
    check(r.returncode == 0, '%s: first start: the init container exits 0%s' % (pod, '' if r.returncode == 0 else ': ' + r.stderr.strip()))
    # what the op-conductor container will read
    menv = pod_env(main, pod)
    node = os.path.join(in_root(root, menv['OP_CONDUCTOR_RAFT_STORAGE_DIR']), menv['OP_CONDUCTOR_RAFT_SERVER_ID'])
    check(menv.get('OP_CONDUCTOR_RAFT_BOOTSTRAP') == 'false', '%s: op-conductor starts with raft.bootstrap false' % pod)
    mine = [n for n in cluster['nodes'] if n['id'] == pod]
    check(mine and mine[0]['address'] == menv.get('OP_CONDUCTOR_CONSENSUS_ADVERTISED'),
          '%s: the address in cluster.json is the one op-conductor advertises (%s)' % (pod, menv.get('OP_CONDUCTOR_CONSENSUS_ADVERTISED')))
    have = sorted(os.path.relpath(os.path.join(b, f), root) for b, _, fs in os.walk(root) for f in fs)
    data_files = [h for h in have if not h.startswith(os.path.relpath(in_root(root, '/etc/cluster'), root))]
    rel_node = os.path.relpath(node, root)
    check(sorted(h for h in data_files if '/%s/' % pod in '/' + h + '/' or h.startswith(rel_node)) ==
          sorted([rel_node + '/raft-log.db', rel_node + '/raft-stable.db']),
          '%s: its volume holds its own node, %s/{raft-log.db,raft-stable.db}' % (pod, rel_node))
    others = [h for h in data_files if any('/%s/' % p in '/' + h for p in pods if p != pod)]
    check(not others, '%s: and no other pod\'s node%s' % (pod, (': ' + ', '.join(others)) if others else ''))
    for f in ('raft-log.db', 'raft-stable.db'):
        same = os.path.exists(os.path.join(node, f)) and \
            open(os.path.join(node, f), 'rb').read() == open(os.path.join(ref, pod, f), 'rb').read()
        check(same, '%s: %s is byte-identical to a full raft generate of the ConfigMap' % (pod, f))
    if root_user and chown:
        uid, gid = (int(x) for x in chown.split(':'))
        owners = {(os.stat(p).st_uid, os.stat(p).st_gid) for p in
                  [node, os.path.join(node, 'raft-log.db'), os.path.join(node, 'raft-stable.db')]}
        check(owners == {(uid, gid)}, '%s: node directory and files owned by %s (--chown)' % (pod, chown))
    elif chown:
        print('skip %s: --chown %s (not root)' % (pod, chown))
    r = run([binary, 'raft', 'verify', '--state-dir', node], {})
    check(r.returncode == 0, '%s: raft verify accepts the node' % pod)
    # a restart: the init container runs again
    before = listing(root)
    r = run(argv, env)
    check(r.returncode == 0 and listing(root) == before,
          '%s: restart: exit %d, nothing changed (%s)' % (pod, r.returncode, (r.stdout + r.stderr).strip().splitlines()[-1:] or ''))
    # a ConfigMap that no longer matches the state stops the pod
    cfg = argv[argv.index('--config') + 1]
    good = open(cfg).read()
    changed = json.loads(good)
    changed['nodes'][-1]['address'] = 'elsewhere.example:50050'
    open(cfg, 'w').write(json.dumps(changed))
    claims = {v['metadata']['name'] for v in sts['spec']['volumeClaimTemplates']}
    data = [root + m['mountPath'] for m in init['volumeMounts'] if m['name'] in claims][0]
    before = listing(data)
    r = run(argv, env)
    open(cfg, 'w').write(good)
    check(r.returncode == 1 and 'nothing was changed' in r.stderr and listing(data) == before,
          '%s: a changed ConfigMap: exit %d, a diff, nothing changed' % (pod, r.returncode))

# ---- 3. approach 2: bootstrap cluster ----------------------------------------
sts = k8s('examples/kubernetes/bootstrap.yaml', 'StatefulSet')


def start_op_conductor(pod, root, extra_env):
    """The op-conductor container's script for pod (its env, plus extra_env
    as if set in the manifest); returns the run and the argv the fake
    op-conductor was exec'd with."""
    env = pod_env(main, pod)
    env.update(extra_env)
    # the op-conductor image's binary is the fake, which records how it was run
    env['OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN'] = in_root(root, env['OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN'],
                                                        {env['OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN']: fake})
    rec = os.path.join(root, 'record')
    env['FAKE_OC_RECORD'] = rec
    if os.path.exists(rec + '.argv'):
        os.unlink(rec + '.argv')
    cmd = [k8s_expand(str(a), env) for a in main['command']]
    script = k8s_expand(str(main['args'][0]), env)
    for m in main['volumeMounts']:   # the script's paths into this pod's root
        script = re.sub(r'(?<![\w.-])' + re.escape(m['mountPath']) + r'(?=[/"\s]|$)', root + m['mountPath'], script)
    r = run(cmd + [script], env)
    argv = open(rec + '.argv', 'rb').read().split(b'\0')[:-1] if os.path.exists(rec + '.argv') else []
    return r, [a.decode() for a in argv]


spec = sts['spec']['template']['spec']
tools = spec['initContainers'][0]
main = spec['containers'][0]
pods = ['%s-%d' % (sts['metadata']['name'], i) for i in range(sts['spec']['replicas'])]
tools_image = [n for n, st in stages.items() if n != '(default)']
check(tools['image'].endswith(':' + tools_image[0]) if tools_image else False,
      'bootstrap.yaml: the tools init container uses the Dockerfile\'s %s image' % (tools_image or ['?'])[0])
for pod in pods:
    root = os.path.join(tmp, 'boot', pod)
    volumes_of(sts, root, {})
    env = pod_env(tools, pod)
    r = run(container_argv(tools, env, root, image_files), env)
    copied = [root + m['mountPath'] for m in tools['volumeMounts']]
    copied = os.path.join(copied[0], os.path.basename(binary))
    check(r.returncode == 0 and os.path.exists(copied) and open(copied, 'rb').read() == open(binary, 'rb').read(),
          '%s: the tools init container copies the binary into the shared volume' % pod)
    r, argv = start_op_conductor(pod, root, {})
    want_boot = 'true' if pod == pods[0] else 'false'
    check(r.returncode == 0 and '--raft.bootstrap=' + want_boot in argv and '--raft.server.id=' + pod in argv and
          '--raft.storage.dir=' + root + '/data/raft' in argv,
          '%s: op-conductor exec\'d with --raft.bootstrap=%s, its ID and storage dir (exit %d%s)' %
          (pod, want_boot, r.returncode, '' if r.returncode == 0 else ': ' + r.stderr.strip()))
# the bootstrap node again, now with the state its first start made (a
# one-member cluster of itself): no bootstrap, so no paused start
pod, root = pods[0], os.path.join(tmp, 'boot', pods[0])
g = run([binary, 'raft', 'generate', '--nodes', '%s=%s.x:50050' % (pod, pod), '--initial-leader', pod,
         '--output-dir', root + '/data/raft'], {})
r, argv = start_op_conductor(pod, root, {})
check(g.returncode == 0 and r.returncode == 0 and '--raft.bootstrap=false' in argv and 'warning' not in r.stderr,
      '%s restarted with Raft state: --raft.bootstrap=false, no warning (%s)' % (pod, r.stderr.strip()[:200]))
shutil.rmtree(root + '/data/raft/' + pod)
r, argv = start_op_conductor(pod, root, {'CLUSTER_FORMED': 'true'})
check(r.returncode == 0 and '--raft.bootstrap=false' in argv,
      '%s with a lost volume and CLUSTER_FORMED=true: --raft.bootstrap=false (no second cluster)' % pod)

# ---- 4. systemd: a one-shot unit before op-conductor ----------------------
unit_path = os.path.join(src, 'examples/systemd/op-conductor-raft-init.service')
unit, section = {}, None
for line in open(unit_path):
    line = line.strip()
    if not line or line.startswith(('#', ';')):
        continue
    if line.startswith('['):
        section = line.strip('[]')
        continue
    k, _, v = line.partition('=')
    unit.setdefault((section, k), []).append(v)
check(unit.get(('Service', 'Type')) == ['oneshot'], 'unit: Type=oneshot')
check('op-conductor.service' in ' '.join(unit.get(('Unit', 'Before'), [])) and
      'op-conductor.service' in ' '.join(unit.get(('Install', 'RequiredBy'), [])),
      'unit: runs before op-conductor.service, which requires it')
root = os.path.join(tmp, 'machine')
# installed as the unit's comment says
envfile = unit[('Service', 'EnvironmentFile')][0].lstrip('-')
os.makedirs(os.path.dirname(root + envfile))
shutil.copy(os.path.join(src, 'examples/systemd/op-conductor-init.env'), root + envfile)
senv = {}
for line in open(root + envfile):
    line = line.strip()
    if line and not line.startswith('#'):
        k, _, v = line.partition('=')
        senv[k] = v
os.makedirs(os.path.dirname(root + senv['OP_CONDUCTOR_INIT_CONFIG']))
shutil.copy(os.path.join(src, 'examples/cluster.json'), root + senv['OP_CONDUCTOR_INIT_CONFIG'])
for cond in unit.get(('Unit', 'ConditionPathExists'), []):
    check(os.path.exists(root + cond), 'unit: ConditionPathExists=%s holds once installed' % cond)
menv = {k: in_root(root, v) for k, v in senv.items()}
if not root_user:
    menv.pop('OP_CONDUCTOR_INIT_CHOWN', None)


def exec_start(line):
    # systemd: ${VAR} from the environment, then split like a shell word list
    line = re.sub(r'\$\{(\w+)\}', lambda m: senv.get(m.group(1), ''), line.lstrip('-@+!'))
    argv = shlex.split(line)
    return [in_root(root, a, {'/usr/bin/op-conductor-init': binary}) for a in argv]


starts = unit.get(('Service', 'ExecStart'), [])
check(len(starts) >= 2, 'unit: %d ExecStart lines' % len(starts))
node = os.path.join(in_root(root, senv['OP_CONDUCTOR_INIT_OUTPUT_DIR']), senv['OP_CONDUCTOR_INIT_NODE_ID'])
for boot in ('first boot', 'second boot'):
    before = listing(root)
    rcs = [run(exec_start(s), menv) for s in starts]
    check(all(r.returncode == 0 for r in rcs), 'systemd %s: every ExecStart exits 0%s' %
          (boot, ''.join(': ' + r.stderr.strip() for r in rcs if r.returncode)))
    if boot == 'second boot':
        check(listing(root) == before, 'systemd second boot: nothing changed')
ref = os.path.join(tmp, 'ref', re.sub(r'\W', '_', 'examples/cluster.json'), senv['OP_CONDUCTOR_INIT_NODE_ID'])
check(all(open(os.path.join(node, f), 'rb').read() == open(os.path.join(ref, f), 'rb').read()
          for f in ('raft-log.db', 'raft-stable.db')),
      'systemd: %s holds the node of a full raft generate of examples/cluster.json' % node[len(root):])
if root_user:
    uid, gid = (int(x) for x in senv['OP_CONDUCTOR_INIT_CHOWN'].split(':'))
    check((os.stat(node).st_uid, os.stat(node).st_gid) == (uid, gid), 'systemd: the node is owned by %s' % senv['OP_CONDUCTOR_INIT_CHOWN'])
print('python: %d failed' % fails)
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$tmp/py.out"
grep -q '^python: 0 failed$' "$tmp/py.out" && [ "$rc" = 0 ] && ok "the examples' flows" || bad "the examples' flows (above)"
finish
