"""Where Lambda calls go: a gap handler of ours, or moto followed by our fix-ups.

`HANDLERS` answers operations moto lacks or gets wrong per qualifier; `AFTER` corrects
moto's answer to AWS's shape. Both are explicit tables, one line per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lambda_ir.emulator import lambda_code as code
from lambda_ir.emulator import lambda_mappings as mappings
from lambda_ir.emulator import lambda_paging as paging
from lambda_ir.emulator import lambda_policy as policy
from lambda_ir.emulator import lambda_revisions as revisions
from lambda_ir.emulator import lambda_settings as settings
from lambda_ir.emulator import lambda_times as times
from lambda_ir.emulator import lambda_urls as urls
from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.lambda_state import LambdaContext

Handler = Callable[[LambdaContext, ApiCall], Response]
After = Callable[[LambdaContext, ApiCall, Response], Response]

HANDLERS: Mapping[str, Handler] = {
    "CreateFunction": code.attach_layers,
    "UpdateFunctionConfiguration": revisions.checked(code.attach_layers),
    "UpdateFunctionCode": revisions.checked(revisions.forward),
    "PublishVersion": revisions.checked(revisions.forward),
    "GetLayerVersion": code.get_layer_version,
    "GetLayerVersionByArn": code.get_layer_version,
    "GetLayerVersionPolicy": code.get_layer_version_policy,
    "AddPermission": policy.add_permission,
    "GetPolicy": policy.get_policy,
    "RemovePermission": policy.remove_permission,
    "CreateFunctionUrlConfig": urls.create_url_config,
    "GetFunctionUrlConfig": urls.get_url_config,
    "UpdateFunctionUrlConfig": urls.update_url_config,
    "DeleteFunctionUrlConfig": urls.delete_url_config,
    "ListFunctionUrlConfigs": urls.list_url_configs,
    "GetFunctionRecursionConfig": settings.recursion_config,
    "PutFunctionRecursionConfig": settings.recursion_config,
    "GetRuntimeManagementConfig": settings.runtime_management_config,
    "PutRuntimeManagementConfig": settings.runtime_management_config,
    "GetFunctionCodeSigningConfig": settings.code_signing_config,
    "PutFunctionCodeSigningConfig": settings.code_signing_config,
    "DeleteFunctionCodeSigningConfig": settings.code_signing_config,
    "CreateCodeSigningConfig": settings.signing_configs,
    "GetCodeSigningConfig": settings.signing_configs,
    "ListCodeSigningConfigs": settings.signing_configs,
    "ListFunctionsByCodeSigningConfig": settings.functions_by_signing_config,
    "PutProvisionedConcurrencyConfig": settings.provisioned_concurrency,
    "GetProvisionedConcurrencyConfig": settings.provisioned_concurrency,
    "DeleteProvisionedConcurrencyConfig": settings.provisioned_concurrency,
    "ListProvisionedConcurrencyConfigs": settings.provisioned_concurrency,
    "GetAccountSettings": settings.account_settings,
    "ListVersionsByFunction": paging.list_versions,
}
AFTER: Mapping[str, tuple[After, ...]] = {
    "CreateFunction": (
        code.pin_image_digest,
        code.isolate_versions,
        settings.keep_logging_config,
        times.stamp_function,
    ),
    # stamped first: the RevisionId answered is that of the configuration with its new time
    "UpdateFunctionConfiguration": (times.stamp_function, settings.keep_logging_config),
    "UpdateFunctionCode": (
        code.pin_image_digest,
        code.isolate_versions,
        settings.snapshot_logging_config,
        times.stamp_function,
    ),
    "PublishVersion": (
        code.isolate_versions,
        settings.snapshot_logging_config,
        times.stamp_function,
    ),
    "GetFunction": (code.fix_get_function, settings.add_logging_config),
    "GetFunctionConfiguration": (code.fix_alias_arn, settings.add_logging_config),
    "ListFunctions": (paging.paginate, settings.add_logging_config),
    "ListVersionsByFunction": (paging.paginate, settings.add_logging_config),
    "ListAliases": (paging.paginate,),
    "ListLayers": (paging.paginate,),
    "ListLayerVersions": (paging.paginate,),
    "PublishLayerVersion": (code.fix_layer_content, times.stamp_layer),
    "CreateEventSourceMapping": (mappings.start_settling,),
    "UpdateEventSourceMapping": (mappings.start_settling,),
    "GetEventSourceMapping": (mappings.show_settling,),
    "ListEventSourceMappings": (mappings.show_settling,),
    "DeleteFunction": (policy.forget_function,),
    "DeleteAlias": (policy.forget_alias,),
}


def handle(ctx: LambdaContext, call: ApiCall) -> Response:
    """Answer one Lambda call: our handler, else moto, then every fix-up for the operation."""
    handler = HANDLERS.get(call.name)
    response = handler(ctx, call) if handler else ctx.forward(None)
    if response.status < 400:
        for fix in AFTER.get(call.name, ()):
            response = fix(ctx, call, response)
    return response
