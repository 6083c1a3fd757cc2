#!/usr/bin/python3
# GStreamer's RTSP server (gst-rtsp-server, not ours) for interop tests. Serves each
# --mount PATH=LAUNCH (a gst-launch bin description whose payloaders are pay0, pay1, …) on
# 127.0.0.1, on a free port, and prints "LISTENING <port>" once it accepts connections.
# --record PATH=LAUNCH mounts a receiver of publishers (ANNOUNCE/RECORD: the factory in record
# transport mode), whose LAUNCH has depayloaders named depay0, depay1, …; it prints
# "UNPREPARED PATH" once a publisher's media is shut down (after EOS: files are complete).
# --digest USER:PASS requires Digest authentication for every mount.
# --tls-cert FILE --tls-key FILE serves RTSPS (every connection is TLS, as GStreamer does it: the
# certificate is set on the server's RTSPAuth, with a default token that may play every mount).
# --multicast GROUPLOW-GROUPHIGH:PORTLOW-PORTHIGH makes the play mounts shared and multicast-only,
# with groups and ports from that pool (TTL 1).
import argparse
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gio, GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument('--mount', action='append', default=[], help='PATH=LAUNCH')
parser.add_argument('--record', action='append', default=[], help='PATH=LAUNCH')
parser.add_argument('--digest', help='USER:PASS')
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--tls-cert')
parser.add_argument('--tls-key')
parser.add_argument('--multicast')
args = parser.parse_args()

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address(args.host)
server.set_service('0')  # any free port; read back below
mounts = server.get_mount_points()

auth = None
if args.tls_cert:
    auth = GstRtspServer.RTSPAuth()
    auth.set_tls_certificate(Gio.TlsCertificate.new_from_files(args.tls_cert, args.tls_key))
    if not args.digest:
        anonymous = GstRtspServer.RTSPToken()
        anonymous.set_string('media.factory.role', 'anonymous')
        auth.set_default_token(anonymous)
    server.set_auth(auth)

def allow_roles(factory):
    if args.digest:
        factory.add_role_from_structure(
            Gst.Structure.new_from_string('user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true'))
    elif args.tls_cert:
        factory.add_role_from_structure(
            Gst.Structure.new_from_string('anonymous, media.factory.access=(boolean)true, media.factory.construct=(boolean)true'))

if args.digest:
    user, _, password = args.digest.partition(':')
    auth = auth or GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    token = GstRtspServer.RTSPToken()
    token.set_string('media.factory.role', 'user')
    auth.add_digest(user, password, token)
    server.set_auth(auth)

for m in args.mount:
    path, _, launch = m.partition('=')
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(False)
    if args.multicast:
        groups, _, ports = args.multicast.partition(':')
        glow, _, ghigh = groups.partition('-')
        plow, _, phigh = ports.partition('-')
        pool = GstRtspServer.RTSPAddressPool()
        pool.add_range(glow, ghigh, int(plow), int(phigh), 1)
        factory.set_address_pool(pool)
        factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP_MCAST)
        factory.set_shared(True)
    allow_roles(factory)
    mounts.add_factory(path, factory)

def on_record_media(factory, media, path):
    media.connect('unprepared', lambda m: print('UNPREPARED %s' % path, flush=True))


for m in args.record:
    path, _, launch = m.partition('=')
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
    factory.set_shared(False)
    factory.set_eos_shutdown(True)  # EOS through the pipeline before it stops: muxers and parsers finish
    factory.connect('media-constructed', on_record_media, path)
    allow_roles(factory)
    mounts.add_factory(path, factory)

if server.attach(None) == 0:
    print('cannot attach the RTSP server', file=sys.stderr)
    sys.exit(1)
print('LISTENING %d' % server.get_bound_port(), flush=True)
GLib.MainLoop().run()
