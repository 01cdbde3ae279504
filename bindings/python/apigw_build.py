"""A PEP 517 build backend that needs only the standard library.

The package is pure Python (ctypes), so a wheel is a zip of apigw/ plus the
metadata files; a libapigw.so* copied into apigw/ beforehand goes in too.
"""
import base64
import hashlib
import os
import zipfile

NAME, VERSION = "apigw", "0.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
DIST_INFO = "%s-%s.dist-info" % (NAME, VERSION)
TAG = "py3-none-any"

METADATA = """Metadata-Version: 2.1
Name: %s
Version: %s
Summary: Python binding of apigw, the embeddable API gateway (stdlib ctypes over libapigw.so)
Requires-Python: >=3.9
""" % (NAME, VERSION)

WHEEL = """Wheel-Version: 1.0
Generator: apigw_build
Root-Is-Purelib: true
Tag: %s
""" % TAG


def _package_files():
    root = os.path.join(HERE, NAME)
    for name in sorted(os.listdir(root)):
        if name.endswith(".py") or name.startswith("libapigw.so"):
            yield os.path.join(root, name), "%s/%s" % (NAME, name)


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (arcname, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = "%s-%s-%s.whl" % (NAME, VERSION, TAG)
    record = ""
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, arcname in _package_files():
            with open(path, "rb") as f:
                data = f.read()
            whl.writestr(arcname, data)
            record += _record_line(arcname, data)
        for name, text in (("METADATA", METADATA), ("WHEEL", WHEEL)):
            arcname = "%s/%s" % (DIST_INFO, name)
            whl.writestr(arcname, text)
            record += _record_line(arcname, text.encode())
        record += "%s/RECORD,,\n" % DIST_INFO
        whl.writestr("%s/RECORD" % DIST_INFO, record)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []
