from flask import Flask
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

app = Flask(__name__)
Toolkit(app)


class TaskForm(MetaForm):
    title = StringField(validators=[InputRequired(), Length(max=200)])
    priority = IntegerField(validators=[NumberRange(min=0, max=5)])
    done = BooleanField()


@app.post("/tasks")
@validate_data(TaskForm)
def create_task(form: TaskForm) -> dict[str, object]:
    # Only the fields the client sent, with their JSON types kept.
    return {"created": form.valid_data}


client = app.test_client()

# 0 and false are values, not "missing".
ok = client.post("/tasks", json={"title": "Plan", "priority": 0, "done": False})
assert ok.json == {"created": {"title": "Plan", "priority": 0, "done": False}}

# A missing "done" is left out, not turned into False (safe for PATCH).
assert client.post("/tasks", json={"title": "Plan"}).json == {
    "created": {"title": "Plan"}
}

# Wrong types and unknown keys are errors, all in one answer.
bad = client.post("/tasks", json={"priority": True, "colour": "red"})
assert bad.status_code == 400
assert bad.json == {
    "code": -1,
    "msg": {
        "title": ["This field is required."],
        "priority": ["Not a valid integer value."],
        "colour": ["Unknown field."],
    },
}

# A POST reads the JSON body: a field sent in the query string is refused, with
# where to send it. (GET and DELETE read the query string, coerced from text.)
assert client.post("/tasks?title=From+query").json["msg"] == {
    "title": ["Unknown field in the query string: send it in the JSON body."]
}

# Messages follow Accept-Language, through WTForms' own catalogues.
zh = client.post("/tasks", json={}, headers={"Accept-Language": "zh-CN"})
assert zh.json["msg"] == {"title": ["该字段是必填字段。"]}

# A body that is not a JSON object never reaches the form.
assert client.post("/tasks", data="{oops", content_type="application/json").json == {
    "code": -1,
    "msg": "The request body is not valid JSON.",
}
assert client.post("/tasks", data="title=x").status_code == 415
