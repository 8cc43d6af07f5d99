#!/usr/bin/env python3
"""docker-py 7.1's public client methods, one by one, against a Docker API.

    methods.py UNIX_URL REGISTRY_HOST      run every check (REGISTRY_HOST is a
                                           plain-HTTP registry, 127.0.0.1:PORT)
    methods.py --table                     print the rows of docs/dockerpy.md

Each check calls docker-py methods and asserts on what they return and on
what another call then shows. Methods a Docker Engine outside a swarm
refuses (swarm, services, tasks, nodes, secrets, configs) and the plugin
methods are asserted to fail with the status and message a Docker 20.10+
engine gives. Output: one `PASS name`, `FAIL name: error`, `XFAIL name:
error` (a check in KNOWN_FAILING that failed) or `XPASS name` (a check in
KNOWN_FAILING that passed) line per check. Exit status 1 when a check not
in KNOWN_FAILING failed, when a KNOWN_FAILING check passed, or when a public
docker-py method is not covered by any check.

Environment: DPY_TRACE=1 prints each HTTP request docker-py sends (method,
URL, the start of the body) on stderr; DPY_REFERENCE=1 runs against a
Docker Engine as the reference (the checks of what rpod documents it does
not serve are skipped); DPY_ONLY=name,name runs only those checks.
"""

import base64
import contextlib
import datetime
import http.server
import inspect
import io
import json
import os
import re
import signal
import socket as pysocket
import sys
import tarfile
import tempfile
import threading
import time
import traceback

import docker
import requests
from docker import errors, types
from docker.models import (configs, containers, images, networks, nodes,
                           plugins, resource, secrets, services, swarm,
                           volumes)
from docker.utils import socket as dsocket

# A check whose failure is a known rpod defect: name -> what is wrong. The
# Rust test passes while these fail (XFAIL) and fails when one passes
# (XPASS), so fixing rpod means removing the name here.
KNOWN_FAILING = {}

# name -> (function, [(method, endpoint)], result note)
CHECKS = []

NOT_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or '
               '"docker swarm join" to connect this node to swarm and try '
               'again.')
NOT_IN_SWARM = 'This node is not part of a swarm'


def check(name, covers, refused=None, rpod_refuses=None, local=False):
    """Registers a check covering `covers`: [(docker-py member, endpoint)].

    refused: the check asserts the refusal a Docker engine outside a swarm
    (or without plugins) gives; rpod_refuses: the check asserts rpod's
    documented refusal where a Docker engine would act; local: the members
    send no request (client-side helpers)."""
    def deco(fn):
        if refused:
            note = f'refused as Docker refuses: {refused}'
        elif rpod_refuses:
            note = f'not served by rpod (documented): {rpod_refuses}'
        elif local:
            note = 'passes (client side, no request)'
        else:
            note = 'passes'
        CHECKS.append((name, fn, covers, note, bool(rpod_refuses)))
        return fn
    return deco


# ---------------------------------------------------------------- helpers

if len(sys.argv) >= 2 and sys.argv[1] != '--table':
    URL, REG = sys.argv[1], sys.argv[2]
else:
    URL = REG = None
REFERENCE = os.environ.get('DPY_REFERENCE') == '1'
P = f'dpy{os.getpid()}'
TMP = tempfile.mkdtemp(prefix=f'{P}-')
CHECK_TIMEOUT = 60  # seconds a check may take
MADE_IMAGES = set()  # image IDs the sweep made (removed at the end)


def nm(suffix):
    return f'{P}-{suffix}'


def wait_until(what, pred, timeout=20):
    end = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > end:
            raise AssertionError(f'timed out after {timeout}s waiting for {what}')
        time.sleep(0.05)


def expect_error(fn, status, text=None, exc=errors.APIError):
    """Calls fn (consuming a returned generator) and asserts it raises exc
    with HTTP status `status` and `text` in the server's message."""
    try:
        r = fn()
        if inspect.isgenerator(r):
            r = list(r)
    except exc as err:
        got = getattr(err, 'status_code', None)
        assert got == status, f'status {got}, wanted {status}: {err}'
        if text is not None:
            expl = err.explanation if isinstance(err.explanation, str) else str(err)
            assert text in expl, f'message {expl!r} lacks {text!r}'
        return err
    raise AssertionError(f'no {exc.__name__} {status} {text!r}; got {r!r}')


def refused_503(fn, text=NOT_MANAGER):
    err = expect_error(fn, 503)
    assert err.explanation == text, f'message {err.explanation!r}, wanted {text!r}'


def plugin_404(fn, name):
    err = expect_error(fn, 404)
    assert err.explanation == f'plugin "{name}" not found', err.explanation


def has_ref(tags, ref):
    """A short name is `localhost/NAME` in rpod, `NAME` in Docker."""
    tags = tags or []
    return ref in tags or f'localhost/{ref}' in tags or f'docker.io/library/{ref}' in tags


def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.time())
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tar_members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {m.name.lstrip('./').rstrip('/'): (t.extractfile(m).read() if m.isfile() else None)
                for m in t.getmembers()}


def create(cmd, suffix, **kw):
    return api.create_container('busybox', cmd, name=nm(suffix), **kw)['Id']


def sleeper(suffix, **kw):
    cid = create(['sleep', '1000'], suffix, **kw)
    api.start(cid)
    return cid


def run_to_exit(cmd, suffix, **kw):
    cid = create(cmd, suffix, **kw)
    api.start(cid)
    api.wait(cid)
    return cid


def state(cid):
    return api.inspect_container(cid)['State']


def kill_rm(*cids):
    for cid in cids:
        with contextlib.suppress(errors.NotFound):
            api.remove_container(cid, force=True, v=True)


def read_until(sock, needle, tty=False, timeout=20):
    """Reads frames from an attach/exec socket until `needle` is seen."""
    raw = getattr(sock, '_sock', sock)
    raw.settimeout(timeout)
    got = b''
    for _, data in dsocket.frames_iter(sock, tty):
        got += data
        if needle in got:
            return got
    raise AssertionError(f'stream ended before {needle!r}: {got!r}')


def build_image(dockerfile, tag=None, **kw):
    """Builds from a Dockerfile text; returns the image ID."""
    out = list(api.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag,
                         rm=True, decode=True, **kw))
    text = ''.join(c.get('stream', '') for c in out)
    errs = [c for c in out if 'error' in c]
    assert not errs, errs
    m = re.findall(r'Successfully built ([0-9a-f]+)', text)
    assert m, text
    iid = api.inspect_image(m[-1])['Id']
    MADE_IMAGES.add(iid)
    return iid


def busybox_id():
    return api.inspect_image('busybox')['Id']


def export_rootfs():
    """A root file system tarball (busybox's, by exporting a container)."""
    path = os.path.join(TMP, 'rootfs.tar')
    if not os.path.exists(path):
        cid = create(['true'], 'rootfs')
        with open(path, 'wb') as f:
            for chunk in api.export(cid):
                f.write(chunk)
        kill_rm(cid)
    return path


def trace_requests():
    orig = requests.Session.send

    def send(self, req, **kw):
        body = req.body
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body[:300])
        elif body is not None and not isinstance(body, str):
            body = f'<{type(body).__name__}>'
        elif isinstance(body, str):
            body = body[:300]
        print(f'  > {req.method} {req.url} {body!r}', file=sys.stderr)
        r = orig(self, req, **kw)
        print(f'  < {r.status_code}', file=sys.stderr)
        return r
    requests.Session.send = send


# ---------------------------------------------------------------- system

@check('ping', [('APIClient.ping', 'GET /_ping'), ('DockerClient.ping', 'GET /_ping')])
def _():
    assert api.ping() is True
    assert cli.ping() is True


@check('version', [('APIClient.version', 'GET /version'),
                   ('APIClient.api_version', '— (the negotiated version)'),
                   ('DockerClient.version', 'GET /version')])
def _():
    v = api.version()
    assert v['ApiVersion'] == api.api_version, (v['ApiVersion'], api.api_version)
    assert v['Os'] == 'linux' and v['Arch'] in ('amd64', 'arm64'), v
    assert isinstance(v['Version'], str) and v['Version'], v
    assert tuple(map(int, v['MinAPIVersion'].split('.'))) <= (1, 24), v
    assert v['Components'][0]['Name'] == 'Engine', v['Components']
    assert api.version(api_version=False)['ApiVersion'] == v['ApiVersion']
    assert cli.version()['ApiVersion'] == v['ApiVersion']


@check('info', [('APIClient.info', 'GET /info'), ('DockerClient.info', 'GET /info')])
def _():
    i = api.info()
    for k in ('ID', 'Containers', 'ContainersRunning', 'ContainersPaused',
              'ContainersStopped', 'Images', 'Driver', 'NCPU', 'MemTotal',
              'OperatingSystem', 'OSType', 'Architecture', 'ServerVersion',
              'Name', 'DockerRootDir', 'KernelVersion'):
        assert k in i, (k, sorted(i))
    assert i['OSType'] == 'linux', i['OSType']
    assert i['NCPU'] == os.cpu_count(), (i['NCPU'], os.cpu_count())
    assert i['MemTotal'] > 0
    assert i['Containers'] == len(api.containers(all=True)), i['Containers']
    assert i['Containers'] == i['ContainersRunning'] + i['ContainersPaused'] + i['ContainersStopped']
    assert i['Images'] >= 1 and i['Images'] == len(api.images()), (i['Images'], len(api.images()))
    assert i['Swarm']['LocalNodeState'] == 'inactive', i['Swarm']
    assert cli.info()['ID'] == i['ID']


@check('df', [('APIClient.df', 'GET /system/df'), ('DockerClient.df', 'GET /system/df')])
def _():
    vol = api.create_volume(nm('dfvol'))['Name']
    cid = create(['true'], 'df', host_config=api.create_host_config(binds={vol: {'bind': '/v', 'mode': 'rw'}}))
    try:
        d = api.df()
        assert {'LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache'} <= set(d), sorted(d)
        assert isinstance(d['LayersSize'], int) and d['LayersSize'] > 0, d['LayersSize']
        img = [i for i in d['Images'] if i['Id'] == busybox_id()]
        assert img and img[0]['Size'] > 0 and img[0]['Containers'] >= 1, img
        ctr = [c for c in d['Containers'] if c['Id'] == cid]
        assert ctr and ctr[0]['Names'] == ['/' + nm('df')], ctr
        v = [x for x in d['Volumes'] if x['Name'] == vol]
        assert v and v[0]['UsageData']['RefCount'] == 1, v
        assert isinstance(d['BuildCache'], (list, type(None))), d['BuildCache']
        assert {c['Id'] for c in cli.df()['Containers']} == {c['Id'] for c in d['Containers']}
    finally:
        kill_rm(cid)
        api.remove_volume(vol)


@check('events', [('APIClient.events', 'GET /events'), ('DockerClient.events', 'GET /events')])
def _():
    t0 = int(time.time()) - 1
    name = nm('ev')
    cid = create(['true'], 'ev', labels={'evlabel': P})
    api.remove_container(cid)
    t1 = int(time.time()) + 1
    evs = list(api.events(since=t0, until=t1, decode=True, filters={'container': name}))
    acts = [e['Action'] for e in evs]
    assert 'create' in acts and 'destroy' in acts, acts
    for e in evs:
        assert e['Type'] == 'container' and e['Actor']['ID'] == cid, e
        assert e['Actor']['Attributes']['name'] == name, e
        assert e['Actor']['Attributes']['evlabel'] == P, e
        assert isinstance(e['time'], int) and isinstance(e['timeNano'], int), e
        assert e['time'] >= t0 and e['scope'] == 'local', e
    # Raw (undecoded) events are JSON bytes; label and event filters.
    raw = list(api.events(since=t0, until=t1, filters={'label': f'evlabel={P}', 'event': 'create'}))
    assert [json.loads(x)['Action'] for x in raw] == ['create'], raw
    # A live stream, closed by the client.
    s = cli.events(since=t0, decode=True, filters={'container': name})
    first = next(s)
    s.close()
    assert first['Action'] == 'create' and first['Actor']['ID'] == cid, first


@check('login', [('APIClient.login', 'POST /auth'), ('DockerClient.login', 'POST /auth')])
def _():
    r = api.login(username='someone', password='pw', registry=REG, reauth=True)
    assert r['Status'] == 'Login Succeeded', r
    got = api._auth_configs.resolve_authconfig(REG)
    assert got['username'] == 'someone' and got['password'] == 'pw', got
    r = cli.login(username='someone', password='pw', registry=REG, reauth=True)
    assert r['Status'] == 'Login Succeeded', r


@check('client_utilities', [
    ('APIClient.get_adapter', '— (the transport adapter for a URL)'),
    ('APIClient.reload_config', '— (reads config.json credentials)'),
    ('DockerClient.from_env', 'GET /version (version negotiation)'),
    ('DockerClient.close', '— (closes the connection pools)')])
def _():
    adapter = api.get_adapter(api.base_url)
    assert isinstance(adapter, docker.transport.UnixHTTPAdapter), adapter
    cfg = os.path.join(TMP, 'config.json')
    with open(cfg, 'w') as f:
        json.dump({'auths': {REG: {'auth': base64.b64encode(b'u1:p1').decode()}}}, f)
    other = docker.APIClient(base_url=URL)
    other.reload_config(cfg)
    got = other._auth_configs.resolve_authconfig(REG)
    assert (got['username'], got['password']) == ('u1', 'p1'), got
    env = dict(os.environ)
    try:
        os.environ['DOCKER_HOST'] = URL
        os.environ.pop('DOCKER_TLS_VERIFY', None)
        c2 = docker.from_env()
        assert c2.ping() is True
        assert c2.api.api_version == api.api_version
        pools = c2.api.get_adapter(c2.api.base_url).pools
        assert len(pools) > 0
        c2.close()
        assert len(pools) == 0
    finally:
        os.environ.clear()
        os.environ.update(env)


# ---------------------------------------------------------------- containers

@check('create_container', [
    ('APIClient.create_container', 'POST /containers/create'),
    ('APIClient.create_host_config', '— (builds HostConfig)'),
    ('APIClient.create_networking_config', '— (builds NetworkingConfig)'),
    ('APIClient.create_endpoint_config', '— (builds an EndpointSettings)'),
    ('APIClient.inspect_container', 'GET /containers/{id}/json')])
def _():
    net = nm('cnet')
    api.create_network(net, driver='bridge')
    bind = os.path.join(TMP, 'bind')
    os.makedirs(bind, exist_ok=True)
    with open(os.path.join(bind, 'f'), 'w') as f:
        f.write('bound\n')
    hc = api.create_host_config(
        mem_limit='64m', restart_policy={'Name': 'on-failure', 'MaximumRetryCount': 2},
        cap_add=['NET_ADMIN'], cap_drop=['MKNOD'], binds={bind: {'bind': '/mnt', 'mode': 'ro'}},
        tmpfs={'/scratch': 'size=1m'}, dns=['10.0.0.53'], extra_hosts={'dbhost': '10.1.2.3'},
        shm_size='8m', pids_limit=50, init=True, network_mode=net,
        ulimits=[types.Ulimit(name='nofile', soft=1024, hard=2048)])
    assert hc['Memory'] == 64 << 20 and hc['NetworkMode'] == net, hc
    ep = api.create_endpoint_config(aliases=['al1'])
    nc = api.create_networking_config({net: ep})
    assert nc == {'EndpointsConfig': {net: {'Aliases': ['al1']}}}, nc
    r = api.create_container(
        'busybox', ['sleep', '1000'], name=nm('create'), environment={'A': '1'},
        labels={'k': 'v'}, working_dir='/tmp', hostname='hname', user='nobody',
        stop_signal='SIGUSR1', stdin_open=True, volumes=['/data'], ports=[8080],
        healthcheck={'test': ['CMD', 'true'], 'interval': 10**9},
        host_config=hc, networking_config=nc)
    cid = r['Id']
    try:
        assert len(cid) == 64 and 'Warnings' in r, r
        i = api.inspect_container(nm('create'))
        assert i['Id'] == cid and i['Name'] == '/' + nm('create'), (i['Id'], i['Name'])
        assert i['State']['Status'] == 'created' and i['State']['Running'] is False, i['State']
        assert i['Image'] == busybox_id(), i['Image']
        c = i['Config']
        assert 'A=1' in c['Env'] and c['Labels']['k'] == 'v', c
        assert (c['WorkingDir'], c['Hostname'], c['User']) == ('/tmp', 'hname', 'nobody'), c
        assert c['Cmd'] == ['sleep', '1000'] and c['StopSignal'] == 'SIGUSR1', c
        assert c['OpenStdin'] is True and '/data' in c['Volumes'], c
        assert '8080/tcp' in c['ExposedPorts'], c
        assert c['Healthcheck']['Test'] == ['CMD', 'true'], c['Healthcheck']
        h = i['HostConfig']
        assert h['Memory'] == 64 << 20, h['Memory']
        assert h['RestartPolicy'] == {'Name': 'on-failure', 'MaximumRetryCount': 2}, h['RestartPolicy']
        assert [x.replace('CAP_', '') for x in h['CapAdd']] == ['NET_ADMIN'], h['CapAdd']
        assert [x.replace('CAP_', '') for x in h['CapDrop']] == ['MKNOD'], h['CapDrop']
        assert h['Binds'] == [f'{bind}:/mnt:ro'], h['Binds']
        assert h['Tmpfs'] == {'/scratch': 'size=1m'}, h['Tmpfs']
        assert h['Dns'] == ['10.0.0.53'] and h['ExtraHosts'] == ['dbhost:10.1.2.3'], (h['Dns'], h['ExtraHosts'])
        assert h['ShmSize'] == 8 << 20 and h['PidsLimit'] == 50 and h['Init'] is True, h
        assert h['Ulimits'] == [{'Name': 'nofile', 'Soft': 1024, 'Hard': 2048}], h['Ulimits']
        assert h['NetworkMode'] == net, h['NetworkMode']
        assert 'al1' in i['NetworkSettings']['Networks'][net]['Aliases'], i['NetworkSettings']['Networks']
        # Started, the settings are in effect.
        api.start(cid)
        i = api.inspect_container(cid)
        assert i['State']['Running'] is True, i['State']
        assert i['NetworkSettings']['Networks'][net]['IPAddress'], i['NetworkSettings']['Networks']
        e = api.exec_create(cid, ['sh', '-c', 'cat /mnt/f; id -u; pwd; echo $A; '
                                  'grep dbhost /etc/hosts | cut -f1; ulimit -n; '
                                  'touch /mnt/x 2>/dev/null || echo ro'])
        out = api.exec_start(e['Id']).decode().split()
        assert out == ['bound', '65534', '/tmp', '1', '10.1.2.3', '1024', 'ro'], out
    finally:
        kill_rm(cid)
        api.remove_network(net)


@check('stdin_once', [('APIClient.create_container', 'POST /containers/create (OpenStdin, StdinOnce)')])
def _():
    # docker-py sends StdinOnce with stdin_open: the container's stdin closes
    # when the first attached client closes its end.
    r = api.create_container('busybox', ['cat'], name=nm('stdinonce'), stdin_open=True)
    cid = r['Id']
    try:
        assert r['Warnings'] in (None, []), r
        assert api.inspect_container(cid)['Config']['StdinOnce'] is True
        api.start(cid)
        sock = api.attach_socket(cid, params={'stdin': 1, 'stdout': 1, 'stream': 1})
        sock._sock.sendall(b'once\n')
        read_until(sock, b'once\n')
        sock._sock.shutdown(pysocket.SHUT_WR)
        assert api.wait(cid, timeout=20)['StatusCode'] == 0
        sock.close()
    finally:
        kill_rm(cid)


@check('create_container_from_config', [
    ('APIClient.create_container_config', '— (builds a container config)'),
    ('APIClient.create_container_from_config', 'POST /containers/create')])
def _():
    cfg = api.create_container_config('busybox', ['echo', 'from-config'], labels={'cfg': '1'})
    assert cfg['Image'] == 'busybox' and cfg['Cmd'] == ['echo', 'from-config'], cfg
    r = api.create_container_from_config(cfg, name=nm('fromcfg'))
    try:
        i = api.inspect_container(r['Id'])
        assert i['Config']['Cmd'] == ['echo', 'from-config'] and i['Config']['Labels'] == {'cfg': '1'}, i['Config']
        api.start(r['Id'])
        assert api.wait(r['Id'])['StatusCode'] == 0
        assert api.logs(r['Id']) == b'from-config\n'
    finally:
        kill_rm(r['Id'])


@check('lifecycle', [
    ('APIClient.start', 'POST /containers/{id}/start'),
    ('APIClient.stop', 'POST /containers/{id}/stop'),
    ('APIClient.restart', 'POST /containers/{id}/restart'),
    ('APIClient.kill', 'POST /containers/{id}/kill'),
    ('APIClient.pause', 'POST /containers/{id}/pause'),
    ('APIClient.unpause', 'POST /containers/{id}/unpause'),
    ('APIClient.wait', 'POST /containers/{id}/wait'),
    ('APIClient.remove_container', 'DELETE /containers/{id}')])
def _():
    cid = create(['sleep', '1000'], 'life')
    try:
        assert api.start(cid) is None
        s = state(cid)
        assert s['Running'] is True and s['Status'] == 'running' and s['Pid'] > 0, s
        api.start(cid)  # 304: already running, no error
        api.pause(cid)
        s = state(cid)
        assert s['Status'] == 'paused' and s['Paused'] is True, s
        expect_error(lambda: api.pause(cid), 409)
        api.unpause(cid)
        # (A Docker engine records the resume asynchronously.)
        s = wait_until('running again', lambda: (lambda s: s['Status'] == 'running' and s)(state(cid)))
        assert s['Paused'] is False, s
        pid, started = s['Pid'], s['StartedAt']
        api.restart(cid, timeout=0)
        s = state(cid)
        assert s['Running'] is True and s['Pid'] != pid and s['StartedAt'] != started, s
        api.kill(cid, signal='SIGKILL')
        r = api.wait(cid)
        assert r['StatusCode'] == 137 and r.get('Error') is None, r
        s = state(cid)
        assert s['Status'] == 'exited' and s['ExitCode'] == 137, s
        expect_error(lambda: api.kill(cid), 409)
        api.start(cid)
        api.stop(cid, timeout=0)
        s = state(cid)
        assert s['Running'] is False and s['Status'] == 'exited', s
        api.stop(cid, timeout=0)  # 304: not running, no error
        assert api.wait(cid, condition='not-running')['StatusCode'] == s['ExitCode']
        api.start(cid)
        expect_error(lambda: api.remove_container(cid), 409)
        api.remove_container(cid, force=True, v=True)
        err = expect_error(lambda: api.inspect_container(cid), 404, exc=errors.NotFound)
        assert f'No such container: {cid}' in err.explanation, err.explanation
        expect_error(lambda: api.start(nm('nosuch')), 404, exc=errors.NotFound)
    finally:
        kill_rm(cid)


@check('wait_conditions', [('APIClient.wait', 'POST /containers/{id}/wait?condition=')])
def _():
    cid = create(['sh', '-c', 'sleep 0.3; exit 3'], 'wait1')
    try:
        api.start(cid)
        assert api.wait(cid, condition='not-running')['StatusCode'] == 3
        assert api.wait(cid)['StatusCode'] == 3
    finally:
        kill_rm(cid)
    auto = create(['sh', '-c', 'sleep 1; exit 4'], 'wait2', host_config=api.create_host_config(auto_remove=True))
    api.start(auto)
    assert api.wait(auto, condition='removed')['StatusCode'] == 4
    expect_error(lambda: api.inspect_container(auto), 404, exc=errors.NotFound)
    slow = sleeper('wait3')
    try:
        try:
            api.wait(slow, timeout=1)
            raise AssertionError('wait returned for a running container')
        except requests.exceptions.ConnectionError:
            pass
    finally:
        kill_rm(slow)


@check('containers_list', [('APIClient.containers', 'GET /containers/json')])
def _():
    lab = f'{P}list'
    c1 = sleeper('list1', labels={lab: 'a'})
    c2 = run_to_exit(['true'], 'list2', labels={lab: 'b'})
    try:
        running = [c['Id'] for c in api.containers()]
        assert c1 in running and c2 not in running, running
        ids = lambda **kw: [c['Id'] for c in api.containers(**kw)]
        assert set(ids(all=True, filters={'label': lab})) == {c1, c2}
        assert ids(all=True, filters={'label': f'{lab}=a'}) == [c1]
        assert ids(all=True, filters={'label': lab, 'status': 'exited'}) == [c2]
        assert ids(all=True, filters={'name': nm('list2')}) == [c2]
        assert ids(all=True, filters={'label': lab}, limit=1) == [c2]
        assert ids(latest=True) == [c2]
        assert ids(all=True, filters={'label': lab, 'since': c1}) == [c2]
        assert ids(all=True, filters={'label': lab, 'before': c2}) == [c1]
        q = api.containers(all=True, quiet=True, filters={'label': lab})
        assert sorted(q, key=lambda x: x['Id']) == sorted([{'Id': c1}, {'Id': c2}], key=lambda x: x['Id']), q
        assert all(len(c['Id']) == 12 for c in api.containers(all=True, trunc=True, filters={'label': lab}))
        row = api.containers(filters={'id': c1}, size=True)[0]
        assert row['Names'] == ['/' + nm('list1')] and row['State'] == 'running', row
        assert row['Image'] in ('busybox', 'localhost/busybox', 'localhost/busybox:latest', 'busybox:latest'), row['Image']
        assert row['ImageID'] == busybox_id() and row['Command'] == 'sleep 1000', row
        assert row['Labels'] == {lab: 'a'} and row['Status'].startswith('Up'), row
        # (SizeRw is left out when 0, as Go's omitempty does.)
        assert isinstance(row['Created'], int) and isinstance(row.get('SizeRw', 0), int) and row['SizeRootFs'] > 0, row
    finally:
        kill_rm(c1, c2)


@check('rename', [('APIClient.rename', 'POST /containers/{id}/rename')])
def _():
    cid = create(['true'], 'ren1')
    try:
        api.rename(cid, nm('ren2'))
        assert api.inspect_container(cid)['Name'] == '/' + nm('ren2')
        assert api.inspect_container(nm('ren2'))['Id'] == cid
        expect_error(lambda: api.inspect_container(nm('ren1')), 404, exc=errors.NotFound)
        other = create(['true'], 'ren3')
        try:
            expect_error(lambda: api.rename(other, nm('ren2')), 409)
        finally:
            kill_rm(other)
    finally:
        kill_rm(cid)


@check('resize', [('APIClient.resize', 'POST /containers/{id}/resize')])
def _():
    cid = sleeper_tty = create(['sh', '-c', 'while :; do stty size; sleep 0.1; done'], 'resize', tty=True)
    try:
        api.start(cid)
        api.resize(cid, height=31, width=101)
        wait_until('the new size in the output', lambda: b'31 101' in api.logs(cid, tail=5))
    finally:
        kill_rm(sleeper_tty)


@check('top', [('APIClient.top', 'GET /containers/{id}/top')])
def _():
    cid = sleeper('top')
    try:
        t = api.top(cid)
        assert 'PID' in t['Titles'], t
        cmd = t['Titles'].index('CMD') if 'CMD' in t['Titles'] else t['Titles'].index('COMMAND')
        assert any(p[cmd] == 'sleep 1000' for p in t['Processes']), t
        api.stop(cid, timeout=0)
        expect_error(lambda: api.top(cid), 409)
    finally:
        kill_rm(cid)


@check('top_ps_args', [('APIClient.top', 'GET /containers/{id}/top?ps_args=')])
def _():
    cid = sleeper('topargs')
    try:
        t = api.top(cid, ps_args='-o pid,args')
        assert t['Titles'] == ['PID', 'COMMAND'], t
        assert any(p[1] == 'sleep 1000' for p in t['Processes']), t
        t = api.top(cid, ps_args='aux')
        assert t['Titles'][:2] == ['USER', 'PID'] and 'COMMAND' in t['Titles'], t
    finally:
        kill_rm(cid)


@check('logs', [('APIClient.logs', 'GET /containers/{id}/logs')])
def _():
    # (Pauses between the writes: without them a Docker engine too may
    # record the two pipes' lines out of order.)
    cid = run_to_exit(['sh', '-c', 'echo out1; sleep 0.1; echo err1 >&2; sleep 0.1; echo out2'], 'logs')
    try:
        assert api.logs(cid) == b'out1\nerr1\nout2\n', api.logs(cid)
        assert api.logs(cid, stderr=False) == b'out1\nout2\n'
        assert api.logs(cid, stdout=False) == b'err1\n'
        assert api.logs(cid, stderr=False, tail=1) == b'out2\n'
        lines = api.logs(cid, stderr=False, timestamps=True).decode().splitlines()
        assert len(lines) == 2 and all(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out\d$', l) for l in lines), lines
        assert api.logs(cid, since=int(time.time()) + 100) == b''
        assert api.logs(cid, until=datetime.datetime(2001, 1, 1)) == b''
        assert api.logs(cid, stderr=False, since=datetime.datetime(2001, 1, 1)) == b'out1\nout2\n'
    finally:
        kill_rm(cid)
    cid = create(['sh', '-c', 'echo a; sleep 0.3; echo b'], 'logsf')
    try:
        api.start(cid)
        chunks = api.logs(cid, stream=True, follow=True)
        assert b''.join(chunks) == b'a\nb\n'
    finally:
        kill_rm(cid)


@check('diff', [('APIClient.diff', 'GET /containers/{id}/changes')])
def _():
    cid = run_to_exit(['sh', '-c', 'echo x > /made; rm /etc/group; echo y >> /etc/passwd'], 'diff')
    try:
        d = api.diff(cid)
        got = {c['Path']: c['Kind'] for c in d}
        assert got.get('/made') == 1 and got.get('/etc/group') == 2 and got.get('/etc/passwd') == 0, d
        assert got.get('/etc') == 0, d
    finally:
        kill_rm(cid)


@check('export', [('APIClient.export', 'GET /containers/{id}/export')])
def _():
    cid = run_to_exit(['sh', '-c', 'echo exported > /made'], 'export')
    try:
        data = b''.join(api.export(cid, chunk_size=65536))
        files = tar_members(data)
        assert files.get('made') == b'exported\n', sorted(files)[:20]
        assert 'bin/busybox' in files and 'etc/passwd' in files, sorted(files)[:20]
    finally:
        kill_rm(cid)


@check('archive', [('APIClient.put_archive', 'PUT /containers/{id}/archive'),
                   ('APIClient.get_archive', 'GET /containers/{id}/archive')])
def _():
    cid = sleeper('arch')
    try:
        assert api.put_archive(cid, '/tmp', tar_of({'a.txt': b'hello', 'd/b.txt': b'deep'})) is True
        stream, stat = api.get_archive(cid, '/tmp/a.txt')
        assert stat['name'] == 'a.txt' and stat['size'] == 5, stat
        assert stat['mode'] & 0o777 == 0o644 and not stat['mode'] & (1 << 31), stat
        assert tar_members(b''.join(stream)) == {'a.txt': b'hello'}
        stream, stat = api.get_archive(cid, '/tmp/d')
        assert stat['name'] == 'd' and stat['mode'] & (1 << 31), stat  # Go's ModeDir
        files = tar_members(b''.join(stream))
        assert files.get('d/b.txt') == b'deep', files
        e = api.exec_create(cid, ['cat', '/tmp/d/b.txt'])
        assert api.exec_start(e['Id']) == b'deep'
        expect_error(lambda: api.get_archive(cid, '/nope'), 404, exc=errors.NotFound)
    finally:
        kill_rm(cid)


@check('put_archive_missing', [('APIClient.put_archive', 'PUT /containers/{id}/archive?path= (a missing directory)')])
def _():
    cid = sleeper('archmiss')
    try:
        expect_error(lambda: api.put_archive(cid, '/nope', tar_of({'x': b''})), 404, exc=errors.NotFound)
    finally:
        kill_rm(cid)


@check('stats', [('APIClient.stats', 'GET /containers/{id}/stats')])
def _():
    cid = sleeper('stats')
    try:
        s = api.stats(cid, stream=False)
        assert s['id'] == cid and s['name'] == '/' + nm('stats'), (s.get('id'), s.get('name'))
        assert s['pids_stats']['current'] >= 1, s['pids_stats']
        assert s['cpu_stats']['cpu_usage']['total_usage'] > 0, s['cpu_stats']
        assert s['precpu_stats']['cpu_usage']['total_usage'] > 0, s['precpu_stats']
        assert s['memory_stats']['usage'] > 0, s['memory_stats']
        assert s['read'] and s['preread'], s
        s = api.stats(cid, stream=False, one_shot=True)
        assert s['id'] == cid and s['memory_stats']['usage'] > 0, s
        it = api.stats(cid, decode=True)
        a, b = next(it), next(it)
        assert a['id'] == cid and b['precpu_stats']['cpu_usage']['total_usage'] == a['cpu_stats']['cpu_usage']['total_usage'], (a['cpu_stats'], b['precpu_stats'])
        raw = next(api.stats(cid, stream=True, decode=False))
        assert json.loads(raw)['id'] == cid
    finally:
        kill_rm(cid)


@check('update_container', [('APIClient.update_container', 'POST /containers/{id}/update')])
def _():
    cid = sleeper('update')
    try:
        r = api.update_container(cid, mem_limit='48m', memswap_limit='96m', cpu_shares=256,
                                 restart_policy={'Name': 'unless-stopped'})
        assert isinstance(r, dict) and 'Warnings' in r, r
        h = api.inspect_container(cid)['HostConfig']
        assert h['Memory'] == 48 << 20 and h['MemorySwap'] == 96 << 20 and h['CpuShares'] == 256, h
        assert h['RestartPolicy']['Name'] == 'unless-stopped', h['RestartPolicy']
        e = api.exec_create(cid, ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || '
                                  'cat /sys/fs/cgroup/memory/memory.limit_in_bytes'])
        got = api.exec_start(e['Id']).strip()
        assert got == str(48 << 20).encode(), got
    finally:
        kill_rm(cid)


@check('commit', [('APIClient.commit', 'POST /commit')])
def _():
    cid = run_to_exit(['sh', '-c', 'echo committed > /made'], 'commit')
    try:
        r = api.commit(cid, repository=nm('commit'), tag='v1', message='msg', author='me',
                       changes=['ENV C=1', 'EXPOSE 81'], conf={'Labels': {'a': 'b'}, 'Cmd': ['cat', '/made']})
        assert r['Id'].startswith('sha256:'), r
        MADE_IMAGES.add(r['Id'])
        i = api.inspect_image(f'{nm("commit")}:v1')
        assert i['Id'] == r['Id'] and i['Comment'] == 'msg' and i['Author'] == 'me', i
        assert 'C=1' in i['Config']['Env'] and '81/tcp' in i['Config']['ExposedPorts'], i['Config']
        assert i['Config']['Labels'] == {'a': 'b'} and i['Config']['Cmd'] == ['cat', '/made'], i['Config']
        assert has_ref(i['RepoTags'], f'{nm("commit")}:v1'), i['RepoTags']
        assert i['Parent'] in ('', busybox_id()) and len(i['RootFS']['Layers']) == 2, (i['Parent'], i['RootFS'])
        out = cli.containers.run(f'{nm("commit")}:v1', remove=True, name=nm('commitrun'))
        assert out == b'committed\n', out
    finally:
        kill_rm(cid)


@check('attach', [('APIClient.attach', 'POST /containers/{id}/attach')])
def _():
    cid = create(['sh', '-c', 'echo one; sleep 0.1; echo err >&2; sleep 0.1; echo two'], 'attach')
    try:
        # Attached before the start, nothing is missed.
        stream = api.attach(cid, stream=True, stderr=False)
        api.start(cid)
        got = b''.join(stream)
        assert got == b'one\ntwo\n', got
        # stream=False on a stopped container: the logs, then the end (with
        # stream=True a Docker engine waits for the next start).
        assert quick.attach(cid, stream=False, logs=True) == b'one\nerr\ntwo\n'
    finally:
        kill_rm(cid)


@check('attach_no_stream', [('APIClient.attach', 'POST /containers/{id}/attach?stream=0'),
                            ('Container.attach', 'POST /containers/{id}/attach?stream=0')])
def _():
    # stream=0: the logs asked for, then the connection ends (docker-py
    # reads until it does; Container.attach() sends stream=0 by default).
    # (Docker 20.10 sometimes answers a stopped container's with nothing.)
    ctr = cli.containers.run('busybox', ['sh', '-c', 'echo started; exec sleep 1000'], detach=True, name=nm('attachns'))
    try:
        wait_until('output', lambda: ctr.logs() == b'started\n')
        got = quick.attach(ctr.id, logs=True, stream=False)
        assert got == b'started\n', got
        got = quick.attach(ctr.id, logs=False, stream=False)
        assert got == b'', got
        qctr = qcli.containers.get(ctr.id)
        assert qctr.attach() == b''
        assert qctr.attach(logs=True) == b'started\n'
        ctr.kill()
        ctr.wait()
        out, err = quick.attach(ctr.id, logs=True, stream=False, demux=True)
        assert (out, err) == (b'started\n', None), (out, err)
    finally:
        kill_rm(ctr.id)


@check('attach_socket', [('APIClient.attach_socket', 'POST /containers/{id}/attach (Upgrade: tcp)')])
def _():
    cid = create(['cat'], 'attachsock', stdin_open=True)
    try:
        api.start(cid)
        sock = api.attach_socket(cid, params={'stdin': 1, 'stdout': 1, 'stream': 1})
        sock._sock.sendall(b'ping\n')
        assert read_until(sock, b'ping\n') == b'ping\n'
        sock.close()
        assert state(cid)['Running'] is True
        # attach_socket(ws=True) builds a ws:// URL from the base URL, which
        # docker-py cannot do for a unix socket (`scheme http+docker is
        # invalid`): api_docker.rs attach_over_a_websocket covers the route.
    finally:
        kill_rm(cid)


@check('port', [('APIClient.port', 'GET /containers/{id}/json (NetworkSettings.Ports)')])
def _():
    s = pysocket.socket()
    s.bind(('127.0.0.1', 0))
    hp = s.getsockname()[1]
    s.close()
    net = api.create_network(nm('portnet'))['Id']
    cid = sleeper('port', ports=[80], host_config=api.create_host_config(
        port_bindings={80: ('127.0.0.1', hp)}, network_mode=nm('portnet')))
    try:
        assert api.port(cid, 80) == [{'HostIp': '127.0.0.1', 'HostPort': str(hp)}], api.port(cid, 80)
        assert api.port(cid, 81) is None
    finally:
        kill_rm(cid)
        api.remove_network(net)


@check('prune_containers', [('APIClient.prune_containers', 'POST /containers/prune')])
def _():
    lab = f'{P}prune'
    done = run_to_exit(['true'], 'prune1', labels={lab: '1'})
    live = sleeper('prune2', labels={lab: '1'})
    other = run_to_exit(['true'], 'prune3')
    try:
        r = api.prune_containers(filters={'label': lab})
        assert r['ContainersDeleted'] == [done], r
        assert isinstance(r['SpaceReclaimed'], int), r
        expect_error(lambda: api.inspect_container(done), 404, exc=errors.NotFound)
        assert state(live)['Running'] is True and state(other)['Status'] == 'exited'
        r = api.prune_containers(filters={'label': lab})
        assert r['ContainersDeleted'] in (None, []), r
    finally:
        kill_rm(done, live, other)


@check('container_model_lifecycle', [
    ('ContainerCollection.create', 'POST /containers/create, GET /containers/{id}/json'),
    ('ContainerCollection.get', 'GET /containers/{id}/json'),
    ('Container.start', 'POST /containers/{id}/start'),
    ('Container.stop', 'POST /containers/{id}/stop'),
    ('Container.restart', 'POST /containers/{id}/restart'),
    ('Container.kill', 'POST /containers/{id}/kill'),
    ('Container.pause', 'POST /containers/{id}/pause'),
    ('Container.unpause', 'POST /containers/{id}/unpause'),
    ('Container.wait', 'POST /containers/{id}/wait'),
    ('Container.remove', 'DELETE /containers/{id}'),
    ('Container.rename', 'POST /containers/{id}/rename'),
    ('Container.reload', 'GET /containers/{id}/json'),
    ('Container.name', '— (Name of the inspect document)'),
    ('Container.image', 'GET /images/{id}/json'),
    ('Container.labels', '— (Config.Labels)'),
    ('Container.status', '— (State.Status)'),
    ('Container.health', '— (State.Health.Status)'),
    ('Model.id', '— (Id)'),
    ('Model.short_id', '— (Id[:12])')])
def _():
    ctr = cli.containers.create('busybox', ['sleep', '1000'], name=nm('model'), labels={'a': 'b'},
                                healthcheck={'test': ['CMD', 'true'], 'interval': 200_000_000})
    try:
        assert isinstance(ctr, containers.Container) and ctr.name == nm('model'), ctr
        assert ctr.status == 'created' and ctr.labels == {'a': 'b'} and ctr.health in ('unknown', 'starting'), (ctr.status, ctr.health)
        assert ctr.image.id == busybox_id() and has_ref(ctr.image.tags, 'busybox:latest'), ctr.image.tags
        assert len(ctr.id) == 64 and ctr.short_id == ctr.id[:12]
        assert cli.containers.get(nm('model')) == ctr
        expect_error(lambda: cli.containers.get(nm('nosuch')), 404, exc=errors.NotFound)
        ctr.start()
        ctr.reload()
        assert ctr.status == 'running', ctr.status
        wait_until('healthy', lambda: (ctr.reload(), ctr.health)[1] == 'healthy')
        ctr.pause()
        ctr.reload()
        assert ctr.status == 'paused', ctr.status
        ctr.unpause()
        ctr.reload()
        assert ctr.status == 'running'
        pid = ctr.attrs['State']['Pid']
        ctr.restart(timeout=0)
        ctr.reload()
        assert ctr.status == 'running' and ctr.attrs['State']['Pid'] != pid
        ctr.kill(signal='SIGKILL')
        assert ctr.wait()['StatusCode'] == 137
        ctr.start()
        ctr.stop(timeout=0)
        assert ctr.wait(condition='not-running')['StatusCode'] == 137
        ctr.reload()
        assert ctr.status == 'exited'
        ctr.rename(nm('model2'))
        ctr.reload()
        assert ctr.name == nm('model2')
        ctr.remove(v=True)
        expect_error(ctr.reload, 404, exc=errors.NotFound)
    finally:
        kill_rm(ctr.id)


@check('container_model_list', [('ContainerCollection.list', 'GET /containers/json (+ inspect each)')])
def _():
    lab = f'{P}mlist'
    a = sleeper('mlist1', labels={lab: '1'})
    b = run_to_exit(['true'], 'mlist2', labels={lab: '1'})
    try:
        got = cli.containers.list(filters={'label': lab})
        assert [c.id for c in got] == [a] and got[0].attrs['State']['Running'] is True, got
        got = cli.containers.list(all=True, filters={'label': lab})
        assert {c.id for c in got} == {a, b}
        got = cli.containers.list(all=True, filters={'label': lab}, sparse=True)
        assert {c.id for c in got} == {a, b} and all('Names' in c.attrs for c in got), got
        assert {c.attrs['Names'][0] for c in got} == {'/' + nm('mlist1'), '/' + nm('mlist2')}
        assert [c.id for c in cli.containers.list(all=True, filters={'label': lab}, limit=1)] == [b]
        assert {c.id for c in cli.containers.list(all=True, filters={'label': lab}, ignore_removed=True)} == {a, b}
    finally:
        kill_rm(a, b)


@check('container_model_run', [('ContainerCollection.run', 'POST /containers/create, /start, /wait, GET /logs, DELETE')])
def _():
    out = cli.containers.run('busybox', ['echo', 'hi'], remove=True, name=nm('run1'))
    assert out == b'hi\n', out
    assert cli.containers.list(all=True, filters={'name': nm('run1')}) == []
    assert cli.containers.run('busybox', ['sh', '-c', 'echo o; echo e >&2'], stdout=False, stderr=True,
                              remove=True, name=nm('run2')) == b'e\n'
    try:
        cli.containers.run('busybox', ['sh', '-c', 'echo bad >&2; exit 5'], name=nm('run3'), remove=True)
        raise AssertionError('no ContainerError')
    except errors.ContainerError as err:
        assert err.exit_status == 5 and err.stderr == b'bad\n', (err.exit_status, err.stderr)
    assert cli.containers.list(all=True, filters={'name': nm('run3')}) == []
    gen = cli.containers.run('busybox', ['sh', '-c', 'echo s1; echo s2'], stream=True, name=nm('run4'))
    assert b''.join(gen) == b's1\ns2\n'
    kill_rm(nm('run4'))
    ctr = cli.containers.run('busybox', ['sleep', '1000'], detach=True, name=nm('run5'),
                             environment=['X=1'], working_dir='/tmp', labels=['l1'])
    try:
        assert isinstance(ctr, containers.Container)
        ctr.reload()
        assert ctr.status == 'running' and ctr.labels == {'l1': ''}, (ctr.status, ctr.labels)
        assert 'X=1' in ctr.attrs['Config']['Env'] and ctr.attrs['Config']['WorkingDir'] == '/tmp'
    finally:
        kill_rm(ctr.id)
    ctr = cli.containers.run('busybox', ['sh', '-c', 'sleep 0.3'], detach=True, remove=True, name=nm('run6'))
    assert ctr.wait()['StatusCode'] == 0
    wait_until('the auto-removed container gone',
               lambda: api.containers(all=True, filters={'name': nm('run6')}) == [])
    missing = f'{REG}/{P}/missing:1'
    expect_error(lambda: cli.containers.run(missing, ['true'], name=nm('run7')), 404, exc=errors.NotFound)


@check('container_model_methods', [
    ('Container.logs', 'GET /containers/{id}/logs'),
    ('Container.top', 'GET /containers/{id}/top'),
    ('Container.diff', 'GET /containers/{id}/changes'),
    ('Container.export', 'GET /containers/{id}/export'),
    ('Container.get_archive', 'GET /containers/{id}/archive'),
    ('Container.put_archive', 'PUT /containers/{id}/archive'),
    ('Container.stats', 'GET /containers/{id}/stats'),
    ('Container.update', 'POST /containers/{id}/update'),
    ('Container.commit', 'POST /commit'),
    ('Container.resize', 'POST /containers/{id}/resize'),
    ('Container.ports', '— (NetworkSettings.Ports)'),
    ('Container.attach_socket', 'POST /containers/{id}/attach (Upgrade: tcp)')])
def _():
    s = pysocket.socket()
    s.bind(('127.0.0.1', 0))
    hp = s.getsockname()[1]
    s.close()
    net = cli.networks.create(nm('mmnet'))
    ctr = cli.containers.run('busybox', ['sh', '-c', 'echo started; exec cat'], detach=True, stdin_open=True,
                             tty=False, name=nm('mm'), ports={'80/tcp': ('127.0.0.1', hp)}, network=net.name)
    try:
        wait_until('output', lambda: ctr.logs() == b'started\n')
        assert ctr.logs(stream=False, timestamps=True).decode().endswith(' started\n')
        t = ctr.top()
        assert 'PID' in t['Titles'] and any('cat' in ' '.join(p) for p in t['Processes']), t
        assert ctr.put_archive('/', tar_of({'m.txt': b'model'})) is True
        stream, stat = ctr.get_archive('/m.txt')
        assert stat['size'] == 5 and tar_members(b''.join(stream)) == {'m.txt': b'model'}
        assert {'Path': '/m.txt', 'Kind': 1} in ctr.diff(), ctr.diff()
        assert tar_members(b''.join(ctr.export())).get('m.txt') == b'model'
        st = ctr.stats(stream=False)
        assert st['id'] == ctr.id and st['memory_stats']['usage'] > 0, st
        st = next(ctr.stats(decode=True))
        assert st['id'] == ctr.id, st
        ctr.update(mem_limit='40m', memswap_limit='80m')
        ctr.reload()
        assert ctr.attrs['HostConfig']['Memory'] == 40 << 20
        assert ctr.ports == {'80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': str(hp)}]}, ctr.ports
        sock = ctr.attach_socket(params={'stdin': 1, 'stdout': 1, 'stream': 1})
        sock._sock.sendall(b'via-socket\n')
        read_until(sock, b'via-socket\n')
        sock.close()
        img = ctr.commit(repository=nm('mcommit'), tag='1', message='m')
        MADE_IMAGES.add(img.id)
        assert isinstance(img, images.Image) and has_ref(img.tags, f'{nm("mcommit")}:1'), img.tags
        assert img.attrs['Comment'] == 'm'
    finally:
        kill_rm(ctr.id)
        net.remove()
    tty = cli.containers.run('busybox', ['sh', '-c', 'while :; do stty size; sleep 0.1; done'], detach=True,
                             tty=True, name=nm('mmtty'))
    try:
        tty.resize(height=29, width=97)
        wait_until('the new size in the output', lambda: b'29 97' in tty.logs(tail=5))
    finally:
        kill_rm(tty.id)


@check('container_model_prune', [('ContainerCollection.prune', 'POST /containers/prune')])
def _():
    lab = f'{P}mprune'
    done = run_to_exit(['true'], 'mprune', labels={lab: '1'})
    r = cli.containers.prune(filters={'label': lab})
    assert r['ContainersDeleted'] == [done], r
    expect_error(lambda: api.inspect_container(done), 404, exc=errors.NotFound)


# ---------------------------------------------------------------- exec

@check('exec', [('APIClient.exec_create', 'POST /containers/{id}/exec'),
                ('APIClient.exec_start', 'POST /exec/{id}/start'),
                ('APIClient.exec_inspect', 'GET /exec/{id}/json')])
def _():
    cid = sleeper('exec')
    try:
        e = api.exec_create(cid, ['sh', '-c', 'echo out; echo err >&2; exit 3'])
        assert set(e) == {'Id'} and len(e['Id']) == 64, e
        i = api.exec_inspect(e['Id'])
        assert i['Running'] is False and i['ExitCode'] is None and i['ContainerID'] == cid, i
        assert i['ProcessConfig']['entrypoint'] == 'sh', i['ProcessConfig']
        assert i['ProcessConfig']['arguments'] == ['-c', 'echo out; echo err >&2; exit 3'], i['ProcessConfig']
        assert (i['OpenStdout'], i['OpenStderr'], i['OpenStdin']) == (True, True, False), i
        assert api.exec_start(e['Id'], demux=True) == (b'out\n', b'err\n')
        i = api.exec_inspect(e['Id'])
        assert i['ExitCode'] == 3 and i['Running'] is False, i
        e = api.exec_create(cid, ['sh', '-c', 'echo $A $(pwd) $(id -u)'], environment=['A=1'], workdir='/tmp', user='nobody')
        assert api.exec_start(e['Id']) == b'1 /tmp 65534\n'
        e = api.exec_create(cid, ['sh', '-c', 'echo a; sleep 0.2; echo b'])
        assert b''.join(api.exec_start(e['Id'], stream=True)) == b'a\nb\n'
        e = api.exec_create(cid, ['sh', '-c', 'echo d > /tmp/det'])
        assert api.exec_start(e['Id'], detach=True) in ('', b'')
        wait_until('the detached exec to end', lambda: api.exec_inspect(e['Id'])['Running'] is False)
        assert api.exec_inspect(e['Id'])['ExitCode'] == 0
        e = api.exec_create(cid, ['cat', '/tmp/det'])
        assert api.exec_start(e['Id']) == b'd\n'
        e = api.exec_create(cid, ['cat'], stdin=True)
        sock = api.exec_start(e['Id'], socket=True)
        sock._sock.sendall(b'hi\n')
        assert read_until(sock, b'hi\n') == b'hi\n'
        sock._sock.shutdown(pysocket.SHUT_WR)
        wait_until('cat to end', lambda: api.exec_inspect(e['Id'])['Running'] is False)
        assert api.exec_inspect(e['Id'])['ExitCode'] == 0
        e = api.exec_create(cid, ['sh', '-c', 'exit 0'], tty=True)
        assert api.exec_start(e['Id'], tty=True) == b''
        err = expect_error(lambda: api.exec_inspect('0' * 64), 404, exc=errors.NotFound)
        assert 'No such exec instance' in err.explanation, err.explanation
        api.stop(cid, timeout=0)
        expect_error(lambda: api.exec_create(cid, ['true']), 409)
    finally:
        kill_rm(cid)


@check('exec_resize', [('APIClient.exec_resize', 'POST /exec/{id}/resize')])
def _():
    cid = sleeper('execresize')
    try:
        e = api.exec_create(cid, ['sh', '-c', 'for i in $(seq 100); do stty size; sleep 0.1; done'], tty=True)
        out = api.exec_start(e['Id'], tty=True, stream=True)
        api.exec_resize(e['Id'], height=33, width=77)
        got = b''
        for chunk in out:
            got += chunk
            if b'33 77' in got:
                break
        assert b'33 77' in got, got
        out.close()
    finally:
        kill_rm(cid)


@check('exec_run', [('Container.exec_run', 'POST /containers/{id}/exec, POST /exec/{id}/start, GET /exec/{id}/json')])
def _():
    ctr = cli.containers.run('busybox', ['sleep', '1000'], detach=True, name=nm('execrun'))
    try:
        r = ctr.exec_run(['sh', '-c', 'echo o; exit 2'])
        assert (r.exit_code, r.output) == (2, b'o\n'), r
        r = ctr.exec_run(['sh', '-c', 'echo o; echo e >&2'], demux=True)
        assert (r.exit_code, r.output) == (0, (b'o\n', b'e\n')), r
        r = ctr.exec_run(['sh', '-c', 'echo e >&2'], stdout=False)
        assert r.output == b'e\n', r
        r = ctr.exec_run('sh -c "echo $X; pwd; id -u"', environment={'X': 'y'}, workdir='/tmp', user='nobody')
        assert r.output == b'y\n/tmp\n65534\n', r
        r = ctr.exec_run(['sh', '-c', 'echo a; echo b'], stream=True)
        assert r.exit_code is None and b''.join(r.output) == b'a\nb\n', r
        r = ctr.exec_run(['tty'], tty=True)
        assert r.exit_code == 0 and r.output.startswith(b'/dev/pts/'), r
        r = ctr.exec_run(['sh', '-c', 'touch /tmp/fromdetach'], detach=True)
        assert r.output in ('', b''), r
        wait_until('the detached exec', lambda: ctr.exec_run(['test', '-e', '/tmp/fromdetach']).exit_code == 0)
        r = ctr.exec_run(['cat'], stdin=True, socket=True)
        r.output._sock.sendall(b'sock\n')
        assert read_until(r.output, b'sock\n') == b'sock\n'
        r.output.close()
        r = ctr.exec_run(['sh', '-c', 'cat /proc/self/status | grep CapEff'], privileged=True)
        assert r.output.split()[1] != b'00000000a80425fb', r
    finally:
        kill_rm(ctr.id)


# ---------------------------------------------------------------- images

@check('images_list', [('APIClient.images', 'GET /images/json')])
def _():
    bb = busybox_id()
    rows = api.images()
    row = [r for r in rows if r['Id'] == bb]
    assert row, rows
    r = row[0]
    assert has_ref(r['RepoTags'], 'busybox:latest'), r
    assert isinstance(r['Created'], int) and r['Size'] > 0 and isinstance(r['Labels'], (dict, type(None))), r
    assert 'ParentId' in r and 'RepoDigests' in r and 'Containers' in r and 'SharedSize' in r, r
    assert [x['Id'] for x in api.images(name='busybox')] == [bb]
    assert bb in api.images(quiet=True) and all(isinstance(x, str) for x in api.images(quiet=True))
    assert [x['Id'] for x in api.images(filters={'reference': 'busybox'})] == [bb]
    assert bb in [x['Id'] for x in api.images(all=True)]
    lab = f'{P}ilabel'
    iid = build_image(f'FROM busybox\nLABEL {lab}=yes\n', tag=nm('ilabel'))
    assert [x['Id'] for x in api.images(filters={'label': lab})] == [iid]
    assert [x['Id'] for x in api.images(filters={'label': f'{lab}=yes'})] == [iid]
    assert bb not in [x['Id'] for x in api.images(filters={'dangling': True})]
    api.remove_image(nm('ilabel'))


@check('inspect_image', [('APIClient.inspect_image', 'GET /images/{name}/json')])
def _():
    i = api.inspect_image('busybox')
    assert i['Id'].startswith('sha256:') and len(i['Id']) == 71, i['Id']
    assert has_ref(i['RepoTags'], 'busybox:latest'), i['RepoTags']
    assert i['Config']['Cmd'] == ['sh'] and i['Os'] == 'linux' and i['Architecture'] == 'amd64', i
    assert i['RootFS']['Type'] == 'layers' and len(i['RootFS']['Layers']) == 1, i['RootFS']
    assert i['Size'] > 0 and re.match(r'^\d{4}-\d\d-\d\dT', i['Created']), i
    assert api.inspect_image(i['Id'])['Id'] == i['Id']
    assert api.inspect_image(i['Id'][7:19])['Id'] == i['Id']
    err = expect_error(lambda: api.inspect_image(nm('nosuch')), 404, exc=errors.ImageNotFound)
    assert f'No such image: {nm("nosuch")}' in err.explanation, err.explanation


@check('history', [('APIClient.history', 'GET /images/{name}/history')])
def _():
    h = api.history('busybox')
    assert len(h) == 1 and h[0]['Id'] == busybox_id(), h
    assert has_ref(h[0]['Tags'], 'busybox:latest') and h[0]['Size'] > 0, h
    assert isinstance(h[0]['Created'], int) and 'CreatedBy' in h[0] and 'Comment' in h[0], h
    iid = build_image('FROM busybox\nRUN echo x > /x\nENV E=1\n', tag=nm('hist'))
    h = api.history(nm('hist'))
    assert len(h) == 3 and h[0]['Id'] == iid and has_ref(h[0]['Tags'], f'{nm("hist")}:latest'), h
    assert 'ENV E=1' in h[0]['CreatedBy'] and 'echo x > /x' in h[1]['CreatedBy'], h
    assert h[0]['Size'] == 0 and h[1]['Size'] > 0 and h[2]['Id'] == busybox_id(), h
    api.remove_image(nm('hist'))


@check('tag', [('APIClient.tag', 'POST /images/{name}/tag')])
def _():
    ref = nm('tagged')
    assert api.tag('busybox', ref, 'v1') is True
    assert api.inspect_image(f'{ref}:v1')['Id'] == busybox_id()
    assert has_ref(api.inspect_image('busybox')['RepoTags'], f'{ref}:v1')
    assert api.tag(busybox_id(), f'{ref}:v2') is True
    assert api.inspect_image(f'{ref}:v2')['Id'] == busybox_id()
    assert api.tag('busybox', ref, 'v2', force=True) is True
    expect_error(lambda: api.tag(nm('nosuch'), ref, 'v3'), 404)
    r = api.remove_image(f'{ref}:v1')
    assert len(r) == 1 and 'Untagged' in r[0] and r[0]['Untagged'].endswith(f'{ref}:v1'), r
    api.remove_image(f'{ref}:v2')
    assert api.inspect_image('busybox')['Id'] == busybox_id()


@check('remove_image', [('APIClient.remove_image', 'DELETE /images/{name}')])
def _():
    iid = build_image('FROM busybox\nRUN echo rm > /rm\n', tag=nm('rmi'))
    cid = api.create_container(nm('rmi'), ['true'], name=nm('rmi'))['Id']
    try:
        expect_error(lambda: api.remove_image(nm('rmi')), 409)
    finally:
        kill_rm(cid)
    r = api.remove_image(nm('rmi'))
    kinds = {k for x in r for k in x}
    assert kinds == {'Untagged', 'Deleted'}, r
    assert {'Deleted': iid} in r, r
    expect_error(lambda: api.inspect_image(iid), 404, exc=errors.ImageNotFound)
    expect_error(lambda: api.remove_image(nm('rmi')), 404, exc=errors.ImageNotFound)
    iid = build_image('FROM busybox\nRUN echo rm2 > /rm\n', tag=nm('rmi2'))
    api.tag(iid, nm('rmi3'))
    expect_error(lambda: api.remove_image(iid), 409)
    r = api.remove_image(iid, force=True)
    assert {'Deleted': iid} in r and len([x for x in r if 'Untagged' in x]) == 2, r


@check('save_load', [('APIClient.get_image', 'GET /images/{name}/get'),
                     ('APIClient.load_image', 'POST /images/load')])
def _():
    ref = f'{nm("save")}:v1'
    api.tag('busybox', ref)
    data = b''.join(api.get_image(ref))
    files = tar_members(data)
    manifest = json.loads(files['manifest.json'])
    assert len(manifest) == 1 and has_ref(manifest[0]['RepoTags'], ref), manifest
    assert manifest[0]['Config'] in files and all(l in files for l in manifest[0]['Layers']), manifest
    api.remove_image(ref)
    out = list(api.load_image(data))
    assert any(re.search(r'Loaded image: (localhost/)?' + re.escape(ref), o.get('stream', '')) for o in out), out
    assert api.inspect_image(ref)['Id'] == busybox_id()
    api.remove_image(ref)
    out = list(api.load_image(data, quiet=True))
    assert not any('error' in o for o in out), out
    assert api.inspect_image(ref)['Id'] == busybox_id()
    api.remove_image(ref)


@check('load_bad_archive', [('APIClient.load_image', 'POST /images/load (a malformed archive)'),
                            ('ImageCollection.load', 'POST /images/load (a malformed archive)')])
def _():
    # A Docker engine answers 200 and reports the failure as an error record
    # of the stream, which ImageCollection.load raises as ImageLoadError.
    out = list(api.load_image(b'not a tar archive' * 100))
    assert [o for o in out if 'error' in o], out
    try:
        cli.images.load(b'not a tar archive' * 100)
        raise AssertionError('no ImageLoadError')
    except errors.ImageLoadError:
        pass


@check('import_image', [
    ('APIClient.import_image', 'POST /images/create?fromSrc=-'),
    ('APIClient.import_image_from_data', 'POST /images/create?fromSrc=-'),
    ('APIClient.import_image_from_file', 'POST /images/create?fromSrc=-'),
    ('APIClient.import_image_from_stream', 'POST /images/create?fromSrc=- (chunked)'),
    ('APIClient.import_image_from_url', 'POST /images/create?fromSrc=URL')])
def _():
    path = export_rootfs()
    with open(path, 'rb') as f:
        data = f.read()

    def imported(r, ref, cmd=None):
        lines = [json.loads(x) for x in r.splitlines() if x.strip()] if isinstance(r, str) else [r]
        ids = [l['status'] for l in lines if re.match(r'^sha256:[0-9a-f]{64}$', l.get('status', ''))]
        assert ids, r
        i = api.inspect_image(ref)
        assert i['Id'] == ids[-1] and has_ref(i['RepoTags'], ref), (i['Id'], i['RepoTags'], r)
        MADE_IMAGES.add(i['Id'])
        if cmd is not None:
            assert i['Config']['Cmd'] == cmd, i['Config']
        files = tar_members(b''.join(api.export(api.create_container(ref, ['true'], name=nm('impchk'))['Id'])))
        kill_rm(nm('impchk'))
        assert 'bin/busybox' in files, sorted(files)[:10]

    r = api.import_image(src=path, repository=nm('imp'), tag='path', changes=['CMD ["echo","imp"]'])
    imported(r, f'{nm("imp")}:path', ['echo', 'imp'])
    with open(path, 'rb') as f:
        r = api.import_image(src=f, repository=nm('imp'), tag='fileobj')
    imported(r, f'{nm("imp")}:fileobj')
    r = api.import_image_from_data(data, repository=nm('imp'), tag='data', changes=['ENV D=1'])
    imported(r, f'{nm("imp")}:data')
    assert 'D=1' in api.inspect_image(f'{nm("imp")}:data')['Config']['Env']
    r = api.import_image_from_file(path, repository=nm('imp'), tag='file')
    imported(r, f'{nm("imp")}:file')
    # A generator: with a file, requests sends a Content-Length body under
    # docker-py's `Transfer-Encoding: chunked`, which no server can parse.
    with open(path, 'rb') as f:
        r = api.import_image_from_stream(iter(lambda: f.read(65536), b''), repository=nm('imp'), tag='stream')
    imported(r, f'{nm("imp")}:stream')
    with serve_file(path) as url:
        r = api.import_image_from_url(url, repository=nm('imp'), tag='url')
    imported(r, f'{nm("imp")}:url')
    for t in ('path', 'fileobj', 'data', 'file', 'stream', 'url'):
        api.remove_image(f'{nm("imp")}:{t}')


@contextlib.contextmanager
def serve_file(path):
    """A plain HTTP server on 127.0.0.1 serving `path`; yields its URL."""
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(path, 'rb') as f:
                body = f.read()
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f'http://127.0.0.1:{srv.server_address[1]}/rootfs.tar'
    finally:
        srv.shutdown()
        srv.server_close()


@check('push_pull', [('APIClient.push', 'POST /images/{name}/push'),
                     ('APIClient.pull', 'POST /images/create?fromImage='),
                     ('APIClient.inspect_distribution', 'GET /distribution/{name}/json'),
                     ('APIClient.import_image_from_image', 'POST /images/create?fromImage= (a pull)')])
def _():
    ref = f'{REG}/{P}/bb'
    api.tag('busybox', ref, '1')
    out = list(api.push(ref, tag='1', stream=True, decode=True, auth_config={'username': 'u', 'password': 'p'}))
    assert not [o for o in out if 'error' in o or 'errorDetail' in o], out
    aux = [o['aux'] for o in out if 'aux' in o]
    assert len(aux) == 1 and aux[0]['Tag'] == '1' and aux[0]['Digest'].startswith('sha256:') and aux[0]['Size'] > 0, out
    digest = aux[0]['Digest']
    assert any(o.get('status') == f'1: digest: {digest} size: {aux[0]["Size"]}' for o in out), out
    text = api.push(ref, tag='1')
    assert f'digest: {digest}' in text, text
    d = api.inspect_distribution(f'{ref}:1')
    assert d['Descriptor']['digest'] == digest and d['Descriptor']['size'] == aux[0]['Size'], d
    assert d['Descriptor']['mediaType'] in ('application/vnd.docker.distribution.manifest.v2+json',
                                            'application/vnd.oci.image.manifest.v1+json'), d
    assert d['Platforms'] == [{'architecture': 'amd64', 'os': 'linux'}], d
    expect_error(lambda: api.inspect_distribution(f'{ref}:nope'), 404)
    api.remove_image(f'{ref}:1')
    text = api.pull(ref, tag='1')
    assert f'Digest: {digest}' in text and f'Status: Downloaded newer image for {ref}:1' in text, text
    i = api.inspect_image(f'{ref}:1')
    assert i['Id'] == busybox_id() and f'{ref}@{digest}' in i['RepoDigests'], (i['Id'], i['RepoDigests'])
    text = api.pull(ref, tag='1')
    assert f'Status: Image is up to date for {ref}:1' in text, text
    out = list(api.pull(ref, tag='1', stream=True, decode=True, platform='linux/amd64'))
    assert {'status': f'Digest: {digest}'} in out, out
    api.remove_image(f'{ref}:1')
    # fromImage is a pull of fromImage:tag; `repo` is ignored.
    r = api.import_image_from_image(ref, repository=nm('ignored'), tag='1')
    assert f'Digest: {digest}' in r, r
    assert api.inspect_image(f'{ref}:1')['Id'] == busybox_id()
    expect_error(lambda: api.pull(ref, tag='nope'), 404, exc=errors.NotFound)
    # A push of a missing image: 200, and the error as the stream's last record.
    text = api.push(f'{ref}-none', tag='1')
    last = json.loads(text.splitlines()[-1])
    assert last['error'] == f'An image does not exist locally with the tag: {ref}-none', text


@check('image_model_registry', [
    ('ImageCollection.push', 'POST /images/{name}/push'),
    ('ImageCollection.pull', 'POST /images/create?fromImage=, GET /images/{name}/json'),
    ('ImageCollection.get_registry_data', 'GET /distribution/{name}/json'),
    ('RegistryData.id', '— (Descriptor.digest)'),
    ('RegistryData.short_id', '— (Descriptor.digest[:19])'),
    ('RegistryData.has_platform', 'GET /version (engine platform)'),
    ('RegistryData.reload', 'GET /distribution/{name}/json'),
    ('RegistryData.pull', 'POST /images/create?fromImage=&tag=DIGEST')])
def _():
    ref = f'{REG}/{P}/model'
    api.tag('busybox', ref, 'a')
    api.tag('busybox', ref, 'b')
    text = cli.images.push(ref, tag='a')
    assert 'digest: sha256:' in text, text
    out = list(cli.images.push(ref, tag='b', stream=True, decode=True))
    digest = [o['aux']['Digest'] for o in out if 'aux' in o][0]
    rd = cli.images.get_registry_data(f'{ref}:a')
    assert isinstance(rd, images.RegistryData) and rd.id == digest and rd.short_id == digest[:19], rd.attrs
    assert rd.has_platform('linux/amd64') is True and rd.has_platform('linux/arm64') is False
    assert rd.has_platform({'os': 'linux', 'architecture': 'amd64'}) is True
    rd.attrs = {}
    rd.reload()
    assert rd.id == digest
    api.remove_image(f'{ref}:a')
    api.remove_image(f'{ref}:b')
    img = rd.pull()
    assert img.id == busybox_id() and f'{ref}@{digest}' in img.attrs['RepoDigests'], img.attrs['RepoDigests']
    img = cli.images.pull(ref, tag='a')
    assert isinstance(img, images.Image) and f'{ref}:a' in img.tags, img.tags
    api.remove_image(f'{ref}:a')
    got = cli.images.pull(ref, all_tags=True)
    assert isinstance(got, list) and len(got) == 1 and {f'{ref}:a', f'{ref}:b'} <= set(got[0].tags), [g.tags for g in got]
    img = cli.images.pull(f'{ref}:b')
    assert f'{ref}:b' in img.tags


@check('search', [('APIClient.search', 'GET /images/search'), ('ImageCollection.search', 'GET /images/search')],
       rpod_refuses='a Docker Engine searches a registry through its v1 search endpoint, which a Distribution '
                    'registry does not serve; rpod lists the registry\'s /v2/_catalog, as Podman does')
def _():
    ref = f'{REG}/{P}/searchme'
    api.tag('busybox', ref, '1')
    list(api.push(ref, tag='1', stream=True))
    r = api.search(f'{REG}/{P}/searchme')
    assert [x['name'] for x in r] == [f'{REG}/{P}/searchme'], r
    assert set(r[0]) >= {'name', 'description', 'star_count', 'is_official', 'is_automated'}, r
    assert len(api.search(f'{REG}/{P}', limit=1)) == 1
    assert [x['name'] for x in cli.images.search(f'{REG}/{P}/searchme')] == [f'{REG}/{P}/searchme']


@check('prune_images', [('APIClient.prune_images', 'POST /images/prune')])
def _():
    lab = f'{P}iprune'
    dangling = build_image(f'FROM busybox\nLABEL {lab}=1\nRUN echo 1 > /p\n')
    named = build_image(f'FROM busybox\nLABEL {lab}=1\nRUN echo 2 > /p\n', tag=nm('iprune'))
    r = api.prune_images(filters={'dangling': True, 'label': lab})
    assert {'Deleted': dangling} in (r['ImagesDeleted'] or []), r
    assert named not in [x.get('Deleted') for x in r['ImagesDeleted']], r
    assert isinstance(r['SpaceReclaimed'], int) and r['SpaceReclaimed'] > 0, r
    expect_error(lambda: api.inspect_image(dangling), 404, exc=errors.ImageNotFound)
    assert api.inspect_image(named)['Id'] == named
    r = api.prune_images(filters={'dangling': False, 'label': lab})
    assert {'Deleted': named} in (r['ImagesDeleted'] or []), r
    expect_error(lambda: api.inspect_image(named), 404, exc=errors.ImageNotFound)
    assert api.inspect_image('busybox')


@check('build', [('APIClient.build', 'POST /build'), ('APIClient.prune_builds', 'POST /build/prune')])
def _():
    df = 'FROM busybox\nARG A=x\nLABEL l=$A\nRUN echo built > /built\nCMD ["cat", "/built"]\n'
    out = list(api.build(fileobj=io.BytesIO(df.encode()), tag=f'{nm("built")}:1', buildargs={'A': 'y'},
                         labels={'lab': '1'}, rm=True, nocache=True, decode=True))
    text = ''.join(o.get('stream', '') for o in out)
    m = re.search(r'Successfully built ([0-9a-f]{12})', text)
    assert m and f'Successfully tagged {nm("built")}:1' in text.replace('localhost/', ''), text
    i = api.inspect_image(f'{nm("built")}:1')
    MADE_IMAGES.add(i['Id'])
    assert i['Id'][7:19] == m.group(1) and i['Config']['Labels'] == {'l': 'y', 'lab': '1'}, i['Config']['Labels']
    assert cli.containers.run(f'{nm("built")}:1', remove=True, name=nm('builtrun')) == b'built\n'
    # A context with a file, as a tarball and as a directory.
    ctx = tar_of({'Dockerfile': b'FROM busybox\nCOPY f.txt /f.txt\nCMD ["cat", "/f.txt"]\n', 'f.txt': b'ctx\n'})
    out = list(api.build(fileobj=io.BytesIO(ctx), custom_context=True, tag=nm('builtctx'), decode=True))
    assert not [o for o in out if 'error' in o], out
    assert cli.containers.run(nm('builtctx'), remove=True, name=nm('builtrun')) == b'ctx\n'
    d = os.path.join(TMP, 'ctx')
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'Other.dockerfile'), 'w') as f:
        f.write('FROM busybox AS first\nCOPY f.txt /f.txt\nFROM first AS second\nRUN echo second >> /f.txt\n'
                'FROM busybox\nCOPY --from=first /f.txt /f.txt\nCMD ["cat", "/f.txt"]\n')
    with open(os.path.join(d, 'f.txt'), 'w') as f:
        f.write('dir\n')
    out = list(api.build(path=d, dockerfile='Other.dockerfile', tag=nm('builtdir'), target='second', decode=True))
    assert not [o for o in out if 'error' in o], out
    assert cli.containers.run(nm('builtdir'), ['cat', '/f.txt'], remove=True, name=nm('builtrun')) == b'dir\nsecond\n'
    # A failing step: an error record with Docker's words.
    out = list(api.build(fileobj=io.BytesIO(b'FROM busybox\nRUN exit 7\n'), decode=True))
    errs = [o for o in out if 'error' in o]
    assert errs and "returned a non-zero code: 7" in errs[0]['error'], out
    r = api.prune_builds()
    assert set(r) >= {'CachesDeleted', 'SpaceReclaimed'} and isinstance(r['SpaceReclaimed'], int), r
    for t in (f'{nm("built")}:1', nm('builtctx'), nm('builtdir')):
        api.remove_image(t)


@check('image_model', [
    ('ImageCollection.build', 'POST /build, GET /images/{id}/json'),
    ('ImageCollection.get', 'GET /images/{name}/json'),
    ('ImageCollection.list', 'GET /images/json (+ inspect each)'),
    ('ImageCollection.load', 'POST /images/load'),
    ('ImageCollection.remove', 'DELETE /images/{name}'),
    ('ImageCollection.prune', 'POST /images/prune'),
    ('ImageCollection.prune_builds', 'POST /build/prune'),
    ('Image.history', 'GET /images/{name}/history'),
    ('Image.remove', 'DELETE /images/{id}'),
    ('Image.save', 'GET /images/{name}/get'),
    ('Image.tag', 'POST /images/{id}/tag'),
    ('Image.reload', 'GET /images/{id}/json'),
    ('Image.labels', '— (Config.Labels)'),
    ('Image.short_id', '— (Id[:19])'),
    ('Image.tags', '— (RepoTags)')])
def _():
    img, logs = cli.images.build(fileobj=io.BytesIO(b'FROM busybox\nLABEL m=1\nRUN echo m > /m\n'), tag=nm('mimg'))
    MADE_IMAGES.add(img.id)
    assert isinstance(img, images.Image) and has_ref(img.tags, f'{nm("mimg")}:latest'), img.tags
    assert any('Successfully built' in l.get('stream', '') for l in logs)
    assert img.labels == {'m': '1'} and img.short_id == img.id[:19], (img.labels, img.short_id)
    try:
        cli.images.build(fileobj=io.BytesIO(b'FROM busybox\nRUN exit 3\n'))
        raise AssertionError('no BuildError')
    except errors.BuildError as err:
        assert 'non-zero code: 3' in err.msg, err.msg
    assert cli.images.get(nm('mimg')) == img
    expect_error(lambda: cli.images.get(nm('nosuch')), 404, exc=errors.ImageNotFound)
    assert [i.id for i in cli.images.list(name=nm('mimg'))] == [img.id]
    assert [i.id for i in cli.images.list(filters={'label': 'm=1'})] == [img.id]
    assert img.id in [i.id for i in cli.images.list(all=True)]
    h = img.history()
    assert h[0]['Id'] == img.id and len(h) == 3, h
    assert img.tag(nm('mimg2'), 'x') is True
    img.reload()
    assert has_ref(img.tags, f'{nm("mimg2")}:x'), img.tags
    saved = b''.join(cli.images.get(f'{nm("mimg2")}:x').save(named=True))
    m = json.loads(tar_members(saved)['manifest.json'])
    assert has_ref(m[0]['RepoTags'], f'{nm("mimg2")}:x') and len(m[0]['RepoTags']) == 1, m
    unnamed = b''.join(img.save(named=False))
    m = json.loads(tar_members(unnamed)['manifest.json'])
    assert not m[0].get('RepoTags'), m
    cli.images.remove(f'{nm("mimg2")}:x')
    img.remove(force=True)
    expect_error(img.reload, 404, exc=errors.ImageNotFound)
    loaded = cli.images.load(saved)
    assert [i.id for i in loaded] == [img.id] and has_ref(loaded[0].tags, f'{nm("mimg2")}:x'), [i.tags for i in loaded]
    loaded = cli.images.load(unnamed)
    assert [i.id for i in loaded] == [img.id], loaded
    cli.images.remove(f'{nm("mimg2")}:x')
    dangling = build_image('FROM busybox\nLABEL mprune=1\nRUN echo p > /p\n')
    r = cli.images.prune(filters={'label': 'mprune=1', 'dangling': True})
    assert {'Deleted': dangling} in r['ImagesDeleted'], r
    r = cli.images.prune_builds()
    assert 'SpaceReclaimed' in r, r
    with contextlib.suppress(errors.ImageNotFound):
        api.remove_image(img.id, force=True)


# ---------------------------------------------------------------- networks

def subnet():
    pid = os.getpid()
    return f'10.{200 + pid % 50}.{(pid // 50) % 250}'


@check('network', [('APIClient.create_network', 'POST /networks/create'),
                   ('APIClient.inspect_network', 'GET /networks/{id}'),
                   ('APIClient.networks', 'GET /networks'),
                   ('APIClient.connect_container_to_network', 'POST /networks/{id}/connect'),
                   ('APIClient.disconnect_container_from_network', 'POST /networks/{id}/disconnect'),
                   ('APIClient.remove_network', 'DELETE /networks/{id}')])
def _():
    net, lab, sn = nm('net'), f'{P}netlabel', subnet()
    ipam = types.IPAMConfig(pool_configs=[types.IPAMPool(subnet=f'{sn}.0/24', gateway=f'{sn}.1')])
    r = api.create_network(net, driver='bridge', ipam=ipam, labels={lab: '1'}, internal=True,
                           options={'com.docker.network.bridge.name': f'br{os.getpid()}'[:15]})
    nid = r['Id']
    cid = sleeper('netc')
    try:
        assert len(nid) == 64 and r.get('Warning', '') == '', r
        i = api.inspect_network(net)
        assert i['Id'] == nid and i['Name'] == net and i['Driver'] == 'bridge' and i['Scope'] == 'local', i
        assert i['IPAM']['Config'] == [{'Subnet': f'{sn}.0/24', 'Gateway': f'{sn}.1'}], i['IPAM']
        assert i['Internal'] is True and i['EnableIPv6'] is False and i['Labels'] == {lab: '1'}, i
        assert i['Options'].get('com.docker.network.bridge.name') == f'br{os.getpid()}'[:15], i['Options']
        assert i['Containers'] == {}, i['Containers']
        assert api.inspect_network(nid, verbose=True, scope='local')['Id'] == nid
        assert [n['Id'] for n in api.networks(names=[net])] == [nid]
        assert [n['Id'] for n in api.networks(ids=[nid])] == [nid]
        assert [n['Id'] for n in api.networks(filters={'label': lab})] == [nid]
        builtin = {'host', 'none'} if REFERENCE else {'bridge', 'host', 'none'}  # (the reference has no bridge)
        assert builtin <= {n['Name'] for n in api.networks()}, api.networks()
        expect_error(lambda: api.create_network(net, check_duplicate=True), 409, 'already exists')
        if tuple(map(int, api.api_version.split('.'))) >= (1, 44):
            # API 1.44: CheckDuplicate is deprecated, always on.
            expect_error(lambda: api.create_network(net), 409, 'already exists')
        api.connect_container_to_network(cid, net, aliases=['alias1'], ipv4_address=f'{sn}.10')
        n = api.inspect_container(cid)['NetworkSettings']['Networks'][net]
        assert n['IPAddress'] == f'{sn}.10' and n['NetworkID'] == nid and 'alias1' in n['Aliases'], n
        assert n['Gateway'] == f'{sn}.1' and n['IPPrefixLen'] == 24 and n['MacAddress'], n
        c = api.inspect_network(net)['Containers']
        assert list(c) == [cid] and c[cid]['IPv4Address'] == f'{sn}.10/24' and c[cid]['Name'] == nm('netc'), c
        e = api.exec_create(cid, ['ip', '-4', '-o', 'addr'])
        assert f'{sn}.10/24' in api.exec_start(e['Id']).decode()
        expect_error(lambda: api.remove_network(net), 403 if REFERENCE else 409)
        api.disconnect_container_from_network(cid, net)
        assert net not in api.inspect_container(cid)['NetworkSettings']['Networks']
        assert api.inspect_network(net)['Containers'] == {}
        api.connect_container_to_network(cid, net)
        api.disconnect_container_from_network(cid, net, force=True)
        assert net not in api.inspect_container(cid)['NetworkSettings']['Networks']
        kill_rm(cid)
        api.remove_network(nid)
        err = expect_error(lambda: api.inspect_network(nid), 404, exc=errors.NotFound)
        assert f'network {nid} not found' in err.explanation, err.explanation
    finally:
        kill_rm(cid)
        with contextlib.suppress(errors.NotFound):
            api.remove_network(nid)


@check('prune_networks', [('APIClient.prune_networks', 'POST /networks/prune')])
def _():
    lab = f'{P}nprune'
    unused = api.create_network(nm('nprune1'), labels={lab: '1'})['Id']
    used = api.create_network(nm('nprune2'), labels={lab: '1'})['Id']
    cid = sleeper('nprune', host_config=api.create_host_config(network_mode=nm('nprune2')))
    try:
        r = api.prune_networks(filters={'label': lab})
        assert r['NetworksDeleted'] == [nm('nprune1')], r
        expect_error(lambda: api.inspect_network(unused), 404, exc=errors.NotFound)
        assert api.inspect_network(used)['Id'] == used
    finally:
        kill_rm(cid)
        api.remove_network(used)


@check('network_model', [('NetworkCollection.create', 'POST /networks/create, GET /networks/{id}'),
                         ('NetworkCollection.get', 'GET /networks/{id}'),
                         ('NetworkCollection.list', 'GET /networks'),
                         ('NetworkCollection.prune', 'POST /networks/prune'),
                         ('Network.connect', 'POST /networks/{id}/connect'),
                         ('Network.disconnect', 'POST /networks/{id}/disconnect'),
                         ('Network.remove', 'DELETE /networks/{id}'),
                         ('Network.reload', 'GET /networks/{id}'),
                         ('Network.name', '— (Name)'),
                         ('Network.containers', 'GET /containers/{id}/json for each')])
def _():
    n = cli.networks.create(nm('mnet'), driver='bridge', labels={'mnet': P})
    ctr = cli.containers.run('busybox', ['sleep', '1000'], detach=True, name=nm('mnetc'))
    try:
        assert isinstance(n, networks.Network) and n.name == nm('mnet') and len(n.id) == 64
        assert cli.networks.get(n.id).name == nm('mnet')
        assert cli.networks.get(nm('mnet')).id == n.id
        expect_error(lambda: cli.networks.get(nm('nosuch')), 404, exc=errors.NotFound)
        assert [x.id for x in cli.networks.list(names=[nm('mnet')])] == [n.id]
        assert [x.id for x in cli.networks.list(filters={'label': f'mnet={P}'})] == [n.id]
        got = cli.networks.list(names=[nm('mnet')], greedy=True)
        assert got[0].attrs['Containers'] == {}, got[0].attrs
        n.connect(ctr, aliases=['m1'])
        n.reload()
        assert [c.id for c in n.containers] == [ctr.id], n.attrs['Containers']
        ctr.reload()
        assert 'm1' in ctr.attrs['NetworkSettings']['Networks'][nm('mnet')]['Aliases']
        n.disconnect(ctr)
        n.reload()
        assert n.containers == []
        n.remove()
        expect_error(n.reload, 404, exc=errors.NotFound)
        p = cli.networks.create(nm('mnet2'), labels={'mnet2': P})
        r = cli.networks.prune(filters={'label': f'mnet2={P}'})
        assert r['NetworksDeleted'] == [nm('mnet2')], r
        expect_error(p.reload, 404, exc=errors.NotFound)
    finally:
        kill_rm(ctr.id)
        with contextlib.suppress(errors.NotFound):
            n.remove()


# ---------------------------------------------------------------- volumes

@check('volume', [('APIClient.create_volume', 'POST /volumes/create'),
                  ('APIClient.inspect_volume', 'GET /volumes/{name}'),
                  ('APIClient.volumes', 'GET /volumes'),
                  ('APIClient.remove_volume', 'DELETE /volumes/{name}')])
def _():
    vol, lab = nm('vol'), f'{P}vlabel'
    v = api.create_volume(vol, driver='local', labels={lab: '1'})
    assert v['Name'] == vol and v['Driver'] == 'local' and v['Labels'] == {lab: '1'}, v
    assert v['Scope'] == 'local' and v['Mountpoint'] and v['CreatedAt'], v
    assert api.create_volume(vol)['Mountpoint'] == v['Mountpoint']
    tmpfs = api.create_volume(nm('voltmpfs'), driver_opts={'type': 'tmpfs', 'device': 'tmpfs', 'o': 'size=1m'})
    assert tmpfs['Options'] == {'type': 'tmpfs', 'device': 'tmpfs', 'o': 'size=1m'}, tmpfs
    anon = api.create_volume()
    assert re.match(r'^[0-9a-f]{64}$', anon['Name']), anon
    api.remove_volume(anon['Name'])
    i = api.inspect_volume(vol)
    assert (i['Name'], i['Mountpoint'], i['Labels']) == (vol, v['Mountpoint'], {lab: '1'}), i
    ls = api.volumes(filters={'label': lab})
    assert [x['Name'] for x in ls['Volumes']] == [vol] and 'Warnings' in ls, ls
    assert vol in [x['Name'] for x in api.volumes()['Volumes']]
    assert vol in [x['Name'] for x in api.volumes(filters={'dangling': True})['Volumes']]
    hc = api.create_host_config(binds={vol: {'bind': '/v', 'mode': 'rw'}, nm('voltmpfs'): {'bind': '/t', 'mode': 'rw'}})
    w = run_to_exit(['sh', '-c', 'echo kept > /v/f; grep " /t " /proc/mounts | cut -d" " -f3'], 'volw', host_config=hc)
    try:
        assert api.logs(w) == b'tmpfs\n', api.logs(w)
        assert vol not in [x['Name'] for x in api.volumes(filters={'dangling': True})['Volumes']]
        r = run_to_exit(['cat', '/v/f'], 'volr', host_config=api.create_host_config(binds=[f'{vol}:/v:ro']))
        assert api.logs(r) == b'kept\n'
        kill_rm(r)
        err = expect_error(lambda: api.remove_volume(vol), 409)
        assert 'in use' in err.explanation, err.explanation
    finally:
        kill_rm(w)
    api.remove_volume(vol)
    api.remove_volume(nm('voltmpfs'))
    err = expect_error(lambda: api.inspect_volume(vol), 404, exc=errors.NotFound)
    assert f'get {vol}: no such volume' in err.explanation, err.explanation
    expect_error(lambda: api.remove_volume(vol), 404, exc=errors.NotFound)
    expect_error(lambda: api.remove_volume(vol, force=True), 404, exc=errors.NotFound)


@check('prune_volumes', [('APIClient.prune_volumes', 'POST /volumes/prune')])
def _():
    lab = f'{P}vprune'
    named = api.create_volume(nm('vprune'), labels={lab: '1'})['Name']
    used = api.create_volume(nm('vprune2'), labels={lab: '1'})['Name']
    cid = create(['true'], 'vprune', host_config=api.create_host_config(binds=[f'{used}:/u']))
    try:
        r = api.prune_volumes(filters={'label': lab})
        if tuple(map(int, api.api_version.split('.'))) >= (1, 42):
            # API 1.42+: only anonymous volumes unless all=true.
            assert r['VolumesDeleted'] in (None, []), r
            r = api.prune_volumes(filters={'label': lab, 'all': 'true'})
        assert r['VolumesDeleted'] == [named] and isinstance(r['SpaceReclaimed'], int), r
        expect_error(lambda: api.inspect_volume(named), 404, exc=errors.NotFound)
        assert api.inspect_volume(used)['Name'] == used
    finally:
        kill_rm(cid)
        api.remove_volume(used)


@check('volume_model', [('VolumeCollection.create', 'POST /volumes/create'),
                        ('VolumeCollection.get', 'GET /volumes/{name}'),
                        ('VolumeCollection.list', 'GET /volumes'),
                        ('VolumeCollection.prune', 'POST /volumes/prune'),
                        ('Volume.remove', 'DELETE /volumes/{name}'),
                        ('Volume.reload', 'GET /volumes/{name}'),
                        ('Volume.name', '— (Name)')])
def _():
    v = cli.volumes.create(nm('mvol'), driver='local', labels={'mvol': P})
    assert isinstance(v, volumes.Volume) and v.name == nm('mvol') and v.id == nm('mvol'), v.attrs
    assert cli.volumes.get(nm('mvol')).attrs['Mountpoint'] == v.attrs['Mountpoint']
    expect_error(lambda: cli.volumes.get(nm('nosuch')), 404, exc=errors.NotFound)
    assert [x.name for x in cli.volumes.list(filters={'label': f'mvol={P}'})] == [nm('mvol')]
    assert nm('mvol') in [x.name for x in cli.volumes.list()]
    v.attrs = {'Name': v.name}
    v.reload()
    assert v.attrs['Labels'] == {'mvol': P}, v.attrs
    v.remove(force=True)
    expect_error(v.reload, 404, exc=errors.NotFound)
    cli.volumes.create(nm('mvol2'), labels={'mvol2': P})
    flt = {'label': f'mvol2={P}'}
    if tuple(map(int, api.api_version.split('.'))) >= (1, 42):
        flt['all'] = 'true'
    r = cli.volumes.prune(filters=flt)
    assert r['VolumesDeleted'] == [nm('mvol2')], r


# ---------------------------------------------------------------- plugins

@check('plugins', [('APIClient.plugins', 'GET /plugins'), ('PluginCollection.list', 'GET /plugins')],
       refused='no plugins: an empty list')
def _():
    assert api.plugins() == []
    assert cli.plugins.list() == []


@check('plugin_missing', [('APIClient.inspect_plugin', 'GET /plugins/{name}/json'),
                          ('APIClient.remove_plugin', 'DELETE /plugins/{name}'),
                          ('APIClient.enable_plugin', 'POST /plugins/{name}/enable'),
                          ('APIClient.disable_plugin', 'POST /plugins/{name}/disable'),
                          ('APIClient.configure_plugin', 'POST /plugins/{name}/set'),
                          ('APIClient.upgrade_plugin', 'POST /plugins/{name}/upgrade'),
                          ('PluginCollection.get', 'GET /plugins/{name}/json')],
       refused='404 `plugin "NAME" not found`')
def _():
    pn = nm('plugin')
    plugin_404(lambda: api.inspect_plugin(pn), pn)
    plugin_404(lambda: api.remove_plugin(pn), pn)
    plugin_404(lambda: api.remove_plugin(pn, force=True), pn)
    plugin_404(lambda: api.enable_plugin(pn, timeout=5), pn)
    plugin_404(lambda: api.disable_plugin(pn), pn)
    plugin_404(lambda: api.configure_plugin(pn, {'DEBUG': '1'}), pn)
    plugin_404(lambda: api.upgrade_plugin(pn, f'{REG}/{P}/plugin', []), f'{pn}:latest')
    plugin_404(lambda: cli.plugins.get(pn), pn)


@check('plugin_push', [('APIClient.push_plugin', 'POST /plugins/{name}/pull (sic: docker-py 7.1 posts to /pull)')],
       refused='docker-py posts to `/plugins/NAME/pull`, which a Docker engine does not route: 404')
def _():
    pn = nm('plugin')
    expect_error(lambda: api.push_plugin(pn), 404)


@check('plugin_privileges', [('APIClient.plugin_privileges', 'GET /plugins/privileges')],
       refused='a reference with no plugin: an empty list of privileges')
def _():
    assert api.plugin_privileges(f'{REG}/{P}/plugin') == []


@check('plugin_install', [('APIClient.pull_plugin', 'POST /plugins/pull'),
                          ('APIClient.create_plugin', 'POST /plugins/create'),
                          ('PluginCollection.install', 'GET /plugins/privileges, POST /plugins/pull'),
                          ('PluginCollection.create', 'POST /plugins/create')],
       rpod_refuses='501 `rpod does not install Docker engine plugins`')
def _():
    pn = nm('plugin')
    msg = 'rpod does not install Docker engine plugins'
    expect_error(lambda: api.pull_plugin(f'{REG}/{P}/plugin', [], pn), 501, msg)
    expect_error(lambda: cli.plugins.install(f'{REG}/{P}/plugin', pn), 501, msg)
    d = os.path.join(TMP, 'plugin')
    os.makedirs(os.path.join(d, 'rootfs'), exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump({'Description': 'x', 'Entrypoint': ['/x'], 'Interface': {'Types': ['docker.volumedriver/1.0'],
                                                                           'Socket': 'x.sock'}}, f)
    expect_error(lambda: api.create_plugin(pn, d), 501, msg)
    expect_error(lambda: cli.plugins.create(pn, d, gzip=True), 501, msg)
    assert api.plugins() == []


@check('plugin_model', [('Plugin.name', '— (Name)'), ('Plugin.enabled', '— (Enabled)'),
                        ('Plugin.settings', '— (Settings)'),
                        ('Plugin.configure', 'POST /plugins/{name}/set'),
                        ('Plugin.disable', 'POST /plugins/{name}/disable'),
                        ('Plugin.enable', 'POST /plugins/{name}/enable'),
                        ('Plugin.push', 'POST /plugins/{name}/pull (sic)'),
                        ('Plugin.remove', 'DELETE /plugins/{name}'),
                        ('Plugin.upgrade', 'GET /plugins/privileges, POST /plugins/{name}/upgrade'),
                        ('Plugin.reload', 'GET /plugins/{name}/json')],
       refused='404 `plugin "NAME" not found` (a Plugin built from attributes, since none can be listed)')
def _():
    pn = nm('plugin')
    p = cli.plugins.prepare_model({'Id': '0' * 64, 'Name': pn, 'Enabled': False, 'Settings': {'Env': ['A=1']}})
    assert (p.name, p.enabled, p.settings) == (pn, False, {'Env': ['A=1']})
    plugin_404(lambda: p.configure({'A': '2'}), pn)
    plugin_404(p.disable, pn)
    plugin_404(p.enable, pn)
    expect_error(p.push, 404)
    plugin_404(p.remove, pn)
    plugin_404(lambda: list(p.upgrade(f'{REG}/{P}/plugin')), f'{pn}:latest')
    plugin_404(p.reload, '0' * 64)


# ---------------------------------------------------------------- swarm

@check('swarm', [('APIClient.inspect_swarm', 'GET /swarm'),
                 ('APIClient.get_unlock_key', 'GET /swarm/unlockkey'),
                 ('APIClient.update_swarm', 'POST /swarm/update'),
                 ('APIClient.create_swarm_spec', '— (builds a SwarmSpec)')],
       refused='503 "This node is not a swarm manager. …"')
def _():
    refused_503(api.inspect_swarm)
    refused_503(api.get_unlock_key)
    spec = api.create_swarm_spec(task_history_retention_limit=5, snapshot_interval=100)
    assert spec['Orchestration'] == {'TaskHistoryRetentionLimit': 5} and spec['Raft']['SnapshotInterval'] == 100, spec
    refused_503(lambda: api.update_swarm(version=1, swarm_spec=spec, rotate_worker_token=True))


@check('swarm_leave', [('APIClient.leave_swarm', 'POST /swarm/leave')],
       refused='503 "This node is not part of a swarm" (docker-py takes it as done with force=True)')
def _():
    refused_503(api.leave_swarm, NOT_IN_SWARM)
    assert api.leave_swarm(force=True) is True


@check('swarm_unlock', [('APIClient.unlock_swarm', 'POST /swarm/unlock')],
       refused='503 "This node is not a swarm manager. …"')
def _():
    refused_503(lambda: api.unlock_swarm('SWMKEY-1-abcdef'))


@check('swarm_init_join', [('APIClient.init_swarm', 'POST /swarm/init'),
                           ('APIClient.join_swarm', 'POST /swarm/join')],
       rpod_refuses='503 `rpod does not run swarm mode: …` (a Docker engine would create or join a swarm)')
def _():
    msg = 'rpod does not run swarm mode'
    expect_error(lambda: api.init_swarm(advertise_addr='127.0.0.1'), 503, msg)
    expect_error(lambda: api.join_swarm(['127.0.0.1:1'], 'SWMTKN-1-x', advertise_addr='127.0.0.1'), 503, msg)


@check('swarm_model', [('Swarm.reload', 'GET /swarm'),
                       ('Swarm.get_unlock_key', 'GET /swarm/unlockkey'),
                       ('Swarm.unlock', 'POST /swarm/unlock'),
                       ('Swarm.update', 'POST /swarm/update'),
                       ('Swarm.leave', 'POST /swarm/leave'),
                       ('Swarm.version', '— (Version.Index)')],
       refused='503, as the APIClient methods (DockerClient.swarm swallows the 503 of its first GET /swarm)')
def _():
    s = cli.swarm
    assert isinstance(s, swarm.Swarm) and s.attrs == {}, s.attrs
    refused_503(s.reload)
    refused_503(s.get_unlock_key)
    refused_503(lambda: s.unlock('SWMKEY-1-abcdef'))
    s.attrs = {'Version': {'Index': 7}, 'Spec': {}}
    assert s.version == 7
    refused_503(lambda: s.update(snapshot_interval=5))
    assert s.leave(force=True) is True
    refused_503(s.leave, NOT_IN_SWARM)


@check('swarm_model_init_join', [('Swarm.init', 'POST /swarm/init'), ('Swarm.join', 'POST /swarm/join')],
       rpod_refuses='503 `rpod does not run swarm mode: …`')
def _():
    msg = 'rpod does not run swarm mode'
    expect_error(lambda: cli.swarm.init(advertise_addr='127.0.0.1'), 503, msg)
    expect_error(lambda: cli.swarm.join(['127.0.0.1:1'], 'SWMTKN-1-x'), 503, msg)


@check('nodes', [('APIClient.nodes', 'GET /nodes'),
                 ('APIClient.inspect_node', 'GET /nodes/{id}'),
                 ('APIClient.remove_node', 'DELETE /nodes/{id}'),
                 ('APIClient.update_node', 'POST /nodes/{id}/update'),
                 ('NodeCollection.list', 'GET /nodes'),
                 ('NodeCollection.get', 'GET /nodes/{id}'),
                 ('Node.version', '— (Version.Index)'),
                 ('Node.update', 'POST /nodes/{id}/update'),
                 ('Node.remove', 'DELETE /nodes/{id}'),
                 ('Node.reload', 'GET /nodes/{id}')],
       refused='503 "This node is not a swarm manager. …"')
def _():
    refused_503(api.nodes)
    refused_503(lambda: api.nodes(filters={'role': 'manager'}))
    refused_503(lambda: api.inspect_node('n0'))
    refused_503(lambda: api.remove_node('n0', force=True))
    refused_503(lambda: api.update_node('n0', 1, {'Role': 'manager', 'Availability': 'active'}))
    refused_503(cli.nodes.list)
    refused_503(lambda: cli.nodes.get('n0'))
    n = cli.nodes.prepare_model({'ID': 'n0', 'Version': {'Index': 3}})
    assert isinstance(n, nodes.Node) and n.version == 3
    refused_503(lambda: n.update({'Availability': 'drain'}))
    refused_503(lambda: n.remove(force=True))
    refused_503(n.reload)


SERVICE_ATTRS = {'ID': 's0', 'Version': {'Index': 2},
                 'Spec': {'Name': 'svc', 'Mode': {'Replicated': {'Replicas': 1}},
                          'TaskTemplate': {'ContainerSpec': {'Image': 'busybox'}}}}


@check('services', [('APIClient.create_service', 'POST /services/create'),
                    ('APIClient.inspect_service', 'GET /services/{id}'),
                    ('APIClient.services', 'GET /services'),
                    ('APIClient.update_service', 'POST /services/{id}/update'),
                    ('APIClient.remove_service', 'DELETE /services/{id}'),
                    ('APIClient.service_logs', 'GET /services/{id}/logs'),
                    ('APIClient.tasks', 'GET /tasks'),
                    ('APIClient.inspect_task', 'GET /tasks/{id}')],
       refused='503 "This node is not a swarm manager. …"')
def _():
    tt = types.TaskTemplate(types.ContainerSpec('busybox', ['sleep', '1000']))
    refused_503(lambda: api.create_service(tt, name=nm('svc')))
    refused_503(lambda: api.inspect_service('s0'))
    refused_503(lambda: api.inspect_service('s0', insert_defaults=True))
    refused_503(api.services)
    refused_503(lambda: api.services(filters={'name': 'x'}, status=True))
    refused_503(lambda: api.update_service('s0', 2, task_template=tt, name='svc'))
    refused_503(lambda: api.remove_service('s0'))
    refused_503(lambda: api.service_logs('s0', stdout=True, stderr=True))
    refused_503(api.tasks)
    refused_503(lambda: api.tasks(filters={'service': 's0'}))
    refused_503(lambda: api.inspect_task('t0'))


@check('service_model', [('ServiceCollection.create', 'POST /services/create'),
                         ('ServiceCollection.get', 'GET /services/{id}'),
                         ('ServiceCollection.list', 'GET /services'),
                         ('Service.name', '— (Spec.Name)'),
                         ('Service.version', '— (Version.Index)'),
                         ('Service.reload', 'GET /services/{id}'),
                         ('Service.remove', 'DELETE /services/{id}'),
                         ('Service.tasks', 'GET /tasks?filters={"service":…}'),
                         ('Service.update', 'POST /services/{id}/update'),
                         ('Service.logs', 'GET /services/{id}/logs'),
                         ('Service.scale', 'GET /services/{id} (current spec), POST /services/{id}/update'),
                         ('Service.force_update', 'POST /services/{id}/update')],
       refused='503 "This node is not a swarm manager. …" (a Service built from attributes)')
def _():
    refused_503(lambda: cli.services.create('busybox', ['sleep', '1'], name=nm('svc')))
    refused_503(lambda: cli.services.get('s0'))
    refused_503(cli.services.list)
    s = cli.services.prepare_model(json.loads(json.dumps(SERVICE_ATTRS)))
    assert (s.name, s.version) == ('svc', 2)
    refused_503(s.reload)
    refused_503(s.remove)
    refused_503(s.tasks)
    refused_503(lambda: s.update(labels={'a': 'b'}))
    refused_503(lambda: s.logs(stdout=True))
    refused_503(lambda: s.scale(3))
    refused_503(s.force_update)


@check('secrets', [('APIClient.create_secret', 'POST /secrets/create'),
                   ('APIClient.inspect_secret', 'GET /secrets/{id}'),
                   ('APIClient.remove_secret', 'DELETE /secrets/{id}'),
                   ('APIClient.secrets', 'GET /secrets'),
                   ('SecretCollection.create', 'POST /secrets/create'),
                   ('SecretCollection.get', 'GET /secrets/{id}'),
                   ('SecretCollection.list', 'GET /secrets'),
                   ('Secret.name', '— (Spec.Name)'),
                   ('Secret.remove', 'DELETE /secrets/{id}'),
                   ('Secret.reload', 'GET /secrets/{id}')],
       refused='503 "This node is not a swarm manager. …"')
def _():
    refused_503(lambda: api.create_secret(nm('sec'), b'data', labels={'a': 'b'}))
    refused_503(lambda: api.inspect_secret('x0'))
    refused_503(lambda: api.remove_secret('x0'))
    refused_503(api.secrets)
    refused_503(lambda: api.secrets(filters={'name': 'x'}))
    refused_503(lambda: cli.secrets.create(name=nm('sec'), data=b'data'))
    refused_503(lambda: cli.secrets.get('x0'))
    refused_503(cli.secrets.list)
    s = cli.secrets.prepare_model({'ID': 'x0', 'Spec': {'Name': 'sec'}})
    assert s.name == 'sec'
    refused_503(s.remove)
    refused_503(s.reload)


@check('configs', [('APIClient.create_config', 'POST /configs/create'),
                   ('APIClient.inspect_config', 'GET /configs/{id}'),
                   ('APIClient.remove_config', 'DELETE /configs/{id}'),
                   ('APIClient.configs', 'GET /configs'),
                   ('ConfigCollection.create', 'POST /configs/create'),
                   ('ConfigCollection.get', 'GET /configs/{id}'),
                   ('ConfigCollection.list', 'GET /configs'),
                   ('Config.name', '— (Spec.Name)'),
                   ('Config.remove', 'DELETE /configs/{id}'),
                   ('Config.reload', 'GET /configs/{id}')],
       refused='503 "This node is not a swarm manager. …"')
def _():
    refused_503(lambda: api.create_config(nm('cfg'), b'data', labels={'a': 'b'}))
    refused_503(lambda: api.inspect_config('x0'))
    refused_503(lambda: api.remove_config('x0'))
    refused_503(api.configs)
    refused_503(lambda: api.configs(filters={'name': 'x'}))
    refused_503(lambda: cli.configs.create(name=nm('cfg'), data=b'data'))
    refused_503(lambda: cli.configs.get('x0'))
    refused_503(cli.configs.list)
    c = cli.configs.prepare_model({'ID': 'x0', 'Spec': {'Name': 'cfg'}})
    assert c.name == 'cfg'
    refused_503(c.remove)
    refused_503(c.reload)


# ---------------------------------------------------------------- coverage

def public_members():
    """Every public docker-py 7.1 client member the sweep must cover."""
    found = set()
    for cls in docker.APIClient.__mro__:
        if cls.__module__.startswith('docker.api'):
            found |= {f'APIClient.{n}' for n in cls.__dict__ if not n.startswith('_')}
    for mod in (containers, images, networks, volumes, plugins, swarm, nodes, services, secrets, configs):
        for cname, cls in vars(mod).items():
            if not (inspect.isclass(cls) and cls.__module__ == mod.__name__) or cname == 'ExecResult':
                continue
            for n, v in cls.__dict__.items():
                if n.startswith('_') or n in ('model', 'id_attribute'):
                    continue
                found.add(f'{cname}.{n}')
            if issubclass(cls, resource.Model) and 'reload' not in cls.__dict__ \
                    and cls not in (swarm.Swarm, images.RegistryData):
                found.add(f'{cname}.reload')
    found |= {'Model.id', 'Model.short_id'}
    for n, v in docker.DockerClient.__dict__.items():
        if not n.startswith('_') and not isinstance(v, property):
            found.add(f'DockerClient.{n}')
    return found


def covered():
    got = set()
    for _, _, covers, _, _ in CHECKS:
        for m, _ in covers:
            got.add(m.split('(')[0])
    return got


def table():
    rows = []
    for name, _, covers, note, _ in CHECKS:
        if name in KNOWN_FAILING:
            note = f'known failing: {KNOWN_FAILING[name]}'
        for m, ep in covers:
            rows.append(f'| `{m}` | {ep} | {note} | `{name}` |')
    print('| method | endpoint | result | check |')
    print('|---|---|---|---|')
    print('\n'.join(rows))


def cleanup():
    for c in api.containers(all=True, filters={'name': P}):
        kill_rm(c['Id'])
    for n in api.networks():
        if n['Name'].startswith(P):
            with contextlib.suppress(errors.APIError):
                api.remove_network(n['Id'])
    for v in api.volumes().get('Volumes') or []:
        if v['Name'].startswith(P):
            with contextlib.suppress(errors.APIError):
                api.remove_volume(v['Name'], force=True)
    for img in api.images(all=True):
        if img['Id'] in MADE_IMAGES or any(P in t for t in img.get('RepoTags') or []):
            with contextlib.suppress(errors.APIError):
                api.remove_image(img['Id'], force=True)


def main():
    global api, cli, quick, qcli
    if sys.argv[1:2] == ['--table']:
        table()
        os.rmdir(TMP)
        return 0
    if os.environ.get('DPY_TRACE') == '1':
        trace_requests()
    api = docker.APIClient(base_url=URL, timeout=120)
    cli = docker.DockerClient(base_url=URL, timeout=120)
    # For answers that should end at once: a hang fails in 10 s.
    quick = docker.APIClient(base_url=URL, timeout=10)
    qcli = docker.DockerClient(base_url=URL, timeout=10)
    def on_alarm(*_):
        raise TimeoutError(f'the check took more than {CHECK_TIMEOUT}s')
    signal.signal(signal.SIGALRM, on_alarm)
    missing = sorted(public_members() - covered())
    only = set(filter(None, os.environ.get('DPY_ONLY', '').split(',')))
    failed, xpassed, xfailed, passed = [], [], [], 0
    start = time.time()
    try:
        for name, fn, _, _, rpod_only in CHECKS:
            if only and name not in only:
                continue
            if REFERENCE and rpod_only:
                print(f'SKIP {name} (rpod refuses it on purpose)')
                continue
            t = time.time()
            signal.alarm(CHECK_TIMEOUT)
            try:
                fn()
                ok, why = True, ''
            except Exception as err:  # noqa: BLE001 - a check's failure of any kind
                ok = False
                tb = traceback.extract_tb(err.__traceback__)
                line = [f for f in tb if f.filename == __file__][-1].lineno
                why = f'{type(err).__name__} at line {line}: {err}'
            finally:
                signal.alarm(0)
            dt = f'({time.time() - t:.1f}s)'
            known = name in KNOWN_FAILING and not REFERENCE
            if ok and known:
                xpassed.append(name)
                print(f'XPASS {name} {dt}: remove it from KNOWN_FAILING')
            elif ok:
                passed += 1
                print(f'PASS {name} {dt}')
            elif known:
                xfailed.append(name)
                print(f'XFAIL {name} {dt}: {why}')
            else:
                failed.append(name)
                print(f'FAIL {name} {dt}: {why}')
            sys.stdout.flush()
    finally:
        cleanup()
        import shutil
        shutil.rmtree(TMP, ignore_errors=True)
    print(f'{passed} passed, {len(failed)} failed, {len(xfailed)} known failing, '
          f'{len(xpassed)} known failing that passed, {time.time() - start:.0f}s; '
          f'{len(public_members())} docker-py members covered by {len(CHECKS)} checks')
    if missing and not only:
        print(f'FAIL coverage: docker-py members no check covers: {missing}')
        return 1
    return 1 if failed or xpassed else 0


if __name__ == '__main__':
    sys.exit(main())
