"""Certificates for the script tests of TLS (the exporter's and advisor's --web.config.file, the
advisor's client configuration): made with the openssl command into a directory, fresh for each
test, never committed (keys in a repository would be read as real ones).

    certs = make_certificates(directory)
    certs.ca, certs.server_cert, certs.server_key       a CA and a server certificate it signed,
                                                        for localhost, 127.0.0.1 and ::1
    certs.client_cert, certs.client_key                 a client certificate the same CA signed
    certs.other_ca, certs.other_client_cert, certs.other_client_key
                                                        a second CA and a client it signed: a
                                                        certificate a server trusting `ca` refuses
"""
import os
import subprocess
import types


def _openssl(*args, cwd):
    subprocess.run(('openssl',) + args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def _make_ca(directory, name):
    key, cert = os.path.join(directory, name + '.key'), os.path.join(directory, name + '.crt')
    _openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
             '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=wgtune test ' + name,
             '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
             cwd=directory)
    return key, cert


def _make_leaf(directory, name, ca_key, ca_cert, extensions):
    key, csr, cert = (os.path.join(directory, name + suffix) for suffix in ('.key', '.csr', '.crt'))
    ext_file = os.path.join(directory, name + '.ext')
    with open(ext_file, 'w') as f:
        f.write('\n'.join(extensions) + '\n')
    _openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
             '-out', csr, '-subj', '/CN=' + name, cwd=directory)
    _openssl('x509', '-req', '-in', csr, '-CA', ca_cert, '-CAkey', ca_key, '-CAcreateserial', '-out', cert,
             '-days', '2', '-extfile', ext_file, cwd=directory)
    return cert, key


def make_certificates(directory):
    """Writes the CAs, the server and the client certificates into `directory` (created if
    needed) and returns their paths (see the module's comment)."""
    os.makedirs(directory, exist_ok=True)
    ca_key, ca = _make_ca(directory, 'ca')
    other_ca_key, other_ca = _make_ca(directory, 'other-ca')
    server_cert, server_key = _make_leaf(directory, 'server', ca_key, ca, [
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1', 'extendedKeyUsage=serverAuth'])
    client_cert, client_key = _make_leaf(directory, 'client', ca_key, ca, ['extendedKeyUsage=clientAuth'])
    other_client_cert, other_client_key = _make_leaf(directory, 'other-client', other_ca_key, other_ca,
                                                     ['extendedKeyUsage=clientAuth'])
    return types.SimpleNamespace(ca=ca, server_cert=server_cert, server_key=server_key,
                                 client_cert=client_cert, client_key=client_key, other_ca=other_ca,
                                 other_client_cert=other_client_cert, other_client_key=other_client_key)


def bcrypt_hash(password, cost=4):
    """A bcrypt hash ($2b$) of `password` for basic_auth_users of a web config (exporter-toolkit
    checks it with golang.org/x/crypto/bcrypt, which reads $2b$). htpasswd is not installed and
    openssl cannot make bcrypt; Python's crypt module (deprecated, present up to 3.12) asks
    libcrypt, which can. Cost 4, the lowest, keeps the servers' checks fast in tests."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        import crypt
    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
    assert hashed and hashed.startswith('$2b$'), 'libcrypt made no bcrypt hash: %r' % hashed
    return hashed
