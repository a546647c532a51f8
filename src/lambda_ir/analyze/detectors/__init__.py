"""Every detector lambda-ir runs, listed explicitly (no discovery): one line per detector."""

from __future__ import annotations

from lambda_ir.analyze.detector import Detector
from lambda_ir.analyze.detectors import (
    ct_add_permission,
    ct_code_update,
    ct_config_hooks,
    ct_deletions,
    ct_event_source_mapping,
    ct_function_url,
    ct_privileged_role,
    ct_recon_burst,
    ct_role_outside_lambda,
    ct_trail_tampering,
    sigma_rules,
)

ALL: tuple[Detector, ...] = (
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
    sigma_rules.DETECTOR,
)
