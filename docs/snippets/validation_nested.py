from wtforms import FieldList
from wtforms import FormField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from flask_toolkit import MetaForm


class Address(MetaForm):
    street = StringField(validators=[InputRequired()])
    zip_code = StringField(name="zipCode", validators=[Length(min=5, max=5)])


class Customer(MetaForm):
    name = StringField(validators=[InputRequired()])
    address = FormField(Address)
    tags = FieldList(StringField(validators=[Length(max=10)]), max_entries=3)


# Outside a request, give the data directly with json= (and query= for a MultiDict).
form = Customer(
    json={
        "name": "Ada",
        "address": {"zipCode": "123", "floor": 2},
        "tags": ["vip", 7],
    }
)
assert not form.validate()
# Errors are keyed by the names the client sent, nested like the input.
assert form.errors == {
    "address": {
        "street": ["This field is required."],
        "zipCode": ["Field must be exactly 5 characters long."],
        "floor": ["Unknown field."],
    },
    "tags": [[], ["Not a valid string."]],
}

form = Customer(json={"name": "Ada", "address": {"street": "Main", "zipCode": None}})
assert form.validate()
# valid_data uses attribute names; explicit nulls are in sent_data only.
assert form.valid_data == {"name": "Ada", "address": {"street": "Main"}}
assert form.sent_data == {
    "name": "Ada",
    "address": {"street": "Main", "zip_code": None},
}
