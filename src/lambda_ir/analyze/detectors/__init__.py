"""Every detector lambda-ir runs, listed explicitly (no discovery): one line per detector."""

from __future__ import annotations

from lambda_ir.analyze.detector import Detector
from lambda_ir.analyze.detectors import (
    cfg_async_destination,
    cfg_env_secrets,
    cfg_foreign_layer,
    cfg_function_settings,
    cfg_function_url,
    cfg_hook_env,
    cfg_logging_redirect,
    cfg_role_privilege,
    cfg_weighted_alias,
    chg_code_change,
    chg_config_change,
    code_elf,
    code_extension,
    code_yara,
    ct_add_permission,
    ct_code_update,
    ct_config_hooks,
    ct_deletions,
    ct_event_source_mapping,
    ct_function_url,
    ct_persistence_settings,
    ct_privileged_role,
    ct_recon_burst,
    ct_role_outside_lambda,
    ct_trail_tampering,
    gap_collection,
    ioc_match,
    log_errors,
    log_extensions,
    log_outbound,
    log_outliers,
    log_timeouts,
    pol_public_invoke,
    sigma_rules,
)

ALL: tuple[Detector, ...] = (
    # configuration and policy, as collected
    pol_public_invoke.DETECTOR,
    cfg_function_url.DETECTOR,
    cfg_hook_env.DETECTOR,
    cfg_foreign_layer.DETECTOR,
    cfg_weighted_alias.DETECTOR,
    cfg_async_destination.DETECTOR,
    cfg_function_settings.DETECTOR,
    cfg_logging_redirect.DETECTOR,
    cfg_env_secrets.DETECTOR,
    cfg_role_privilege.DETECTOR,
    # code and layer packages
    code_yara.DETECTOR,
    code_elf.DETECTOR,
    code_extension.DETECTOR,
    ioc_match.DETECTOR,
    # changes between versions, attributed to CloudTrail
    chg_code_change.DETECTOR,
    chg_config_change.DETECTOR,
    # CloudTrail
    ct_add_permission.DETECTOR,
    ct_function_url.DETECTOR,
    ct_config_hooks.DETECTOR,
    ct_code_update.DETECTOR,
    ct_privileged_role.DETECTOR,
    ct_event_source_mapping.DETECTOR,
    ct_recon_burst.DETECTOR,
    ct_deletions.DETECTOR,
    ct_trail_tampering.DETECTOR,
    ct_role_outside_lambda.DETECTOR,
    ct_persistence_settings.DETECTOR,
    sigma_rules.DETECTOR,
    # logs
    log_timeouts.DETECTOR,
    log_outliers.DETECTOR,
    log_errors.DETECTOR,
    log_extensions.DETECTOR,
    log_outbound.DETECTOR,
    # what could not be examined
    gap_collection.DETECTOR,
)
