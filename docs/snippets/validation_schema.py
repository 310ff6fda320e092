from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from flask_toolkit import MetaForm
from flask_toolkit.forms.jsonschema import form_schema
from flask_toolkit.forms.jsonschema import query_parameters


class TaskForm(MetaForm):
    title = StringField(validators=[InputRequired(), Length(max=200)])
    priority = IntegerField(validators=[NumberRange(min=0, max=5)])
    state = SelectField(choices=["todo", "done"])


assert form_schema(TaskForm) == {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "priority": {"type": ["integer", "null"], "minimum": 0, "maximum": 5},
        "state": {"type": ["string", "null"], "enum": ["todo", "done", None]},
    },
    "required": ["title"],
    "additionalProperties": False,
}

# The same fields as OpenAPI query parameters, for GET endpoints.
assert [p["name"] for p in query_parameters(TaskForm)] == ["title", "priority", "state"]
