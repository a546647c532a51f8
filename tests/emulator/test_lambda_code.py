"""Code packages over HTTP: every version's, alias's and layer's download matches its hash."""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from typing import Any

import pytest

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.server import Emulator
from tests.emulator.conftest import make_function, zip_of


def _download(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url) as response:
        return bytes(response.read())


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_every_version_and_alias_downloads_its_own_code(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name, "print('v1')")
    versions = [lam.publish_version(FunctionName=name)["Version"]]
    for text in ("print('v2')", "print('v3')"):
        lam.update_function_code(FunctionName=name, ZipFile=zip_of(text))
        versions.append(lam.publish_version(FunctionName=name)["Version"])
    lam.update_function_code(FunctionName=name, ZipFile=zip_of("print('latest')"))
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=versions[1])

    hashes = {}
    for qualifier in ["$LATEST", *versions, "live"]:
        got = lam.get_function(FunctionName=name, Qualifier=qualifier)
        data = _download(got["Code"]["Location"])
        assert _sha(data) == got["Configuration"]["CodeSha256"], qualifier
        hashes[qualifier] = got["Configuration"]["CodeSha256"]
    assert len({hashes[q] for q in ["$LATEST", *versions]}) == 4
    assert hashes["live"] == hashes[versions[1]]
    alias = lam.get_function(FunctionName=name, Qualifier="live")["Configuration"]
    assert alias["FunctionArn"].endswith(f":function:{name}:live")
    assert alias["Version"] == versions[1]


def test_layer_content_location_and_get_layer_version_by_arn(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    published = lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of("layer")})
    data = _download(published["Content"]["Location"])
    assert _sha(data) == published["Content"]["CodeSha256"]
    by_arn = lam.get_layer_version_by_arn(Arn=published["LayerVersionArn"])
    assert by_arn["LayerVersionArn"] == published["LayerVersionArn"]
    assert _sha(_download(by_arn["Content"]["Location"])) == published["Content"]["CodeSha256"]
    by_name = lam.get_layer_version(LayerName=name, VersionNumber=published["Version"])
    assert by_name["Content"]["CodeSha256"] == published["Content"]["CodeSha256"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version_by_arn(Arn=published["LayerVersionArn"][:-1] + "99")


def test_layer_from_another_account_attaches_with_its_real_arn(
    aws: Emulator, admin: Any, name: str
) -> None:
    other = "210987654321"
    creds = admin.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{other}:role/publisher", RoleSessionName="pub"
    )["Credentials"]
    publisher = session_for(
        aws, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    foreign = publisher.client("lambda").publish_layer_version(
        LayerName=f"{name}-ext", Content={"ZipFile": zip_of("extension", "extensions/x")}
    )
    assert f":{other}:layer:{name}-ext:1" in foreign["LayerVersionArn"]
    lam = admin.client("lambda", config=client_config())
    local = lam.publish_layer_version(LayerName=f"{name}-own", Content={"ZipFile": zip_of("own")})
    created = make_function(
        admin, name, Layers=[local["LayerVersionArn"], foreign["LayerVersionArn"]]
    )
    arns = [layer["Arn"] for layer in created["Layers"]]
    assert arns == [local["LayerVersionArn"], foreign["LayerVersionArn"]]
    config = lam.get_function_configuration(FunctionName=name)
    assert [layer["Arn"] for layer in config["Layers"]] == arns
    assert config["Layers"][1]["CodeSize"] == foreign["Content"]["CodeSize"]
    content = lam.get_layer_version_by_arn(Arn=foreign["LayerVersionArn"])["Content"]
    assert _sha(_download(content["Location"])) == foreign["Content"]["CodeSha256"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(
            FunctionName=name, Layers=[foreign["LayerVersionArn"][:-1] + "7"]
        )


def test_container_image_digest_matches_ecr(admin: Any, name: str) -> None:
    ecr = admin.client("ecr")
    repo = ecr.create_repository(repositoryName=name)["repository"]
    manifest = (
        '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",'
        ' "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,'
        ' "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},'
        ' "layers": []}'
    )
    pushed = ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    digest = pushed["image"]["imageId"]["imageDigest"]
    role = admin.client("iam").create_role(RoleName=f"{name}-r", AssumeRolePolicyDocument="{}")
    lam = admin.client("lambda", config=client_config())
    lam.create_function(
        FunctionName=name,
        Role=role["Role"]["Arn"],
        PackageType="Image",
        Code={"ImageUri": f"{repo['repositoryUri']}:v1"},
    )
    got = lam.get_function(FunctionName=name)
    assert got["Code"]["ResolvedImageUri"] == f"{repo['repositoryUri']}@{digest}"
    assert got["Configuration"]["CodeSha256"] == digest.removeprefix("sha256:")


def test_each_image_version_keeps_its_own_image_uri(admin: Any, name: str) -> None:
    ecr = admin.client("ecr")
    repo = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    role = admin.client("iam").create_role(RoleName=f"{name}-r", AssumeRolePolicyDocument="{}")
    lam = admin.client("lambda", config=client_config())
    lam.create_function(
        FunctionName=name,
        Role=role["Role"]["Arn"],
        PackageType="Image",
        Code={"ImageUri": f"{repo}:1.0.0"},
    )
    first = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_code(FunctionName=name, ImageUri=f"{repo}:2.0.0", Publish=True)
    lam.update_function_code(FunctionName=name, ImageUri=f"{repo}:3.0.0")
    uris = {
        q: lam.get_function(FunctionName=name, Qualifier=q)["Code"]["ImageUri"]
        for q in (first, "2", "$LATEST")
    }
    assert uris == {first: f"{repo}:1.0.0", "2": f"{repo}:2.0.0", "$LATEST": f"{repo}:3.0.0"}


def test_get_function_reports_reserved_concurrency_of_zero(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
