"""Checks ECS requests and responses against botocore's service model.

Requests are checked with botocore's own ParamValidator against the operation's
input shape. Responses are wire JSON (awsJson1.1: timestamps are epoch
numbers), which ParamValidator does not model, so they are walked against the
output shape here: member names, types, enums and required members.
"""

import threading

_lock = threading.Lock()
_models = {}


def service_model(service):
    """The botocore ServiceModel for service ("ecs", "logs"), cached."""
    with _lock:
        model = _models.get(service)
        if model is None:
            import botocore.loaders
            import botocore.model
            data = botocore.loaders.Loader().load_service_model(
                service, "service-2")
            model = botocore.model.ServiceModel(data, service_name=service)
            _models[service] = model
        return model


def check_input(service, operation, params):
    """Returns a list of problems of params against the input shape."""
    from botocore.validate import ParamValidator
    op = service_model(service).operation_model(operation)
    if op.input_shape is None:
        return []
    report = ParamValidator().validate(params, op.input_shape)
    if not report.has_errors():
        return []
    return [
        line.strip() for line in report.generate_report().splitlines()
        if line.strip() and not line.startswith("Parameter validation failed")
    ]


def check_output(service, operation, body):
    """Returns a list of problems of a wire JSON body against the output."""
    op = service_model(service).operation_model(operation)
    problems = []
    if op.output_shape is not None:
        _walk(body, op.output_shape, "response", problems)
    return problems


def _walk(value, shape, path, problems):
    kind = shape.type_name
    if value is None:
        problems.append(f"{path}: null is never sent by AWS")
        return
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected object, got {type(value).__name__}")
            return
        for name, member in value.items():
            if name not in shape.members:
                problems.append(f"{path}: unknown member '{name}' "
                                f"(shape {shape.name})")
                continue
            _walk(member, shape.members[name], f"{path}.{name}", problems)
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{path}: missing required member '{name}'")
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{i}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected map, got {type(value).__name__}")
            return
        for key, item in value.items():
            _walk(item, shape.value, f"{path}[{key!r}]", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected string, got {type(value).__name__}")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{path}: '{value}' is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected integer, got {value!r}")
    elif kind in ("double", "float", "timestamp"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected number ({kind}), got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected boolean, got {value!r}")
    elif kind == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: expected base64 string, got {value!r}")
