//! Adding, changing and deleting a system: only by its own organisation.

use super::*;

// ---- Add and edit ----

/// The form's values as typed, kept when the form is shown again with errors.
#[derive(Debug, Clone, Default)]
pub struct SystemForm {
    pub service_area: String,
    pub system: String,
    pub supplier: String,
    pub company_number: String,
    pub manufacturer: String,
    pub contract_reference: String,
    pub start: [String; 3],
    pub end: [String; 3],
    pub annual_value: String,
    pub hosting: String,
    pub satisfaction: String,
    pub notes: String,
    pub visibility: String,
}

fn date_parts(d: Option<NaiveDate>) -> [String; 3] {
    use chrono::Datelike;
    match d {
        Some(d) => [
            d.day().to_string(),
            d.month().to_string(),
            d.year().to_string(),
        ],
        None => Default::default(),
    }
}

/// A GOV.UK date input's three fields, as a date (or none when all are blank).
fn form_date(label: &str, parts: &[String; 3]) -> Result<Option<NaiveDate>, String> {
    let [d, m, y] = parts.clone().map(|p| p.trim().to_owned());
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Ok(None);
    }
    let missing: Vec<&str> = [("day", &d), ("month", &m), ("year", &y)]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| n)
        .collect();
    if !missing.is_empty() {
        return Err(format!("{label} must include a {}", missing.join(" and ")));
    }
    let (Ok(dd), Ok(mm), Ok(yy)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<i32>()) else {
        return Err(format!("{label} must be a real date"));
    };
    if y.len() != 4 || !(1900..=2200).contains(&yy) {
        return Err(format!("{label} must include a 4-digit year, like 2027"));
    }
    NaiveDate::from_ymd_opt(yy, mm, dd)
        .map(Some)
        .ok_or_else(|| format!("{label} must be a real date"))
}

impl SystemForm {
    fn from_fields(f: &Fields) -> SystemForm {
        let parts = |name: &str| {
            [
                f.get(&format!("{name}-day")).to_owned(),
                f.get(&format!("{name}-month")).to_owned(),
                f.get(&format!("{name}-year")).to_owned(),
            ]
        };
        SystemForm {
            service_area: f.get("service_area").to_owned(),
            system: f.get("system").to_owned(),
            supplier: f.get("supplier").to_owned(),
            company_number: f.get("company_number").to_owned(),
            manufacturer: f.get("manufacturer").to_owned(),
            contract_reference: f.get("contract_reference").to_owned(),
            start: parts("contract_start"),
            end: parts("contract_end"),
            annual_value: f.get("annual_value").to_owned(),
            hosting: f.get("hosting").to_owned(),
            satisfaction: f.get("satisfaction").to_owned(),
            notes: f.get("notes").to_owned(),
            visibility: f.get("visibility").to_owned(),
        }
    }

    fn from_record(r: &SystemRecord) -> SystemForm {
        SystemForm {
            service_area: r.service_area.clone(),
            system: r.system_name.clone(),
            supplier: r.supplier_name.clone(),
            company_number: r
                .company_number
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            manufacturer: r.manufacturer.clone().unwrap_or_default(),
            contract_reference: r.contract_reference.clone().unwrap_or_default(),
            start: date_parts(r.contract_start),
            end: date_parts(r.contract_end),
            annual_value: r.annual_value.map(|p| p.decimal()).unwrap_or_default(),
            hosting: r.hosting.map(|h| h.as_str().to_owned()).unwrap_or_default(),
            satisfaction: r
                .satisfaction
                .map(|s| s.value().to_string())
                .unwrap_or_default(),
            notes: r.notes.clone(),
            visibility: r.visibility.as_str().to_owned(),
        }
    }

    /// Checks every field; the errors come in the order of the fields on the page.
    fn validate(&self) -> Result<SystemRecord, Errors> {
        let mut c = Collect::default();
        let service_area = c.take(
            "service_area",
            required_text("service area", &self.service_area),
        );
        let system = c.take(
            "system",
            required_text("system or product name", &self.system),
        );
        let supplier = c.take("supplier", required_text("supplier", &self.supplier));
        let company_number = c.take(
            "company_number",
            match self.company_number.trim() {
                "" => Ok(None),
                s => CompanyNumber::parse(s)
                    .map(Some)
                    .map_err(|_| "Enter a Companies House number like 01234567 or SC123456, or leave it blank".to_owned()),
            },
        );
        let manufacturer = c.take(
            "manufacturer",
            optional_text("manufacturer", &self.manufacturer, MAX_SHORT),
        );
        let reference = c.take(
            "contract_reference",
            optional_text("contract reference", &self.contract_reference, MAX_SHORT),
        );
        let start = c.take("contract_start", form_date("Contract start", &self.start));
        let end = c.take("contract_end", form_date("Contract end", &self.end));
        if let (Some(Some(s)), Some(Some(e))) = (start, end)
            && e < s
        {
            c.take(
                "contract_end",
                Err::<(), _>("Contract end must be the same as or after the contract start".into()),
            );
        }
        let value = c.take(
            "annual_value",
            parse_annual_value(&self.annual_value).map_err(|_| {
                "Enter the annual value as an amount in pounds, like 12500 or 12,500.00".to_owned()
            }),
        );
        let hosting = c.take(
            "hosting",
            match self.hosting.as_str() {
                "" => Ok(None),
                h => h
                    .parse::<Hosting>()
                    .map(Some)
                    .map_err(|_| "Choose where the system is hosted".to_owned()),
            },
        );
        let satisfaction = c.take(
            "satisfaction",
            match self.satisfaction.as_str() {
                "" => Ok(None),
                s => s
                    .parse::<i64>()
                    .ok()
                    .and_then(Satisfaction::new)
                    .map(Some)
                    .ok_or_else(|| "Choose a satisfaction score from 1 to 5".to_owned()),
            },
        );
        let notes = c.take("notes", optional_text("notes", &self.notes, MAX_NOTES));
        let visibility = c.take(
            "visibility",
            self.visibility
                .parse::<Visibility>()
                .map_err(|_| "Choose who can see this record".to_owned()),
        );
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        match (
            service_area,
            system,
            supplier,
            company_number,
            manufacturer,
            reference,
            start,
            end,
            value,
            hosting,
            satisfaction,
            notes,
            visibility,
        ) {
            (
                Some(service_area),
                Some(system_name),
                Some(supplier_name),
                Some(company_number),
                Some(manufacturer),
                Some(contract_reference),
                Some(contract_start),
                Some(contract_end),
                Some(annual_value),
                Some(hosting),
                Some(satisfaction),
                Some(notes),
                Some(visibility),
            ) => Ok(SystemRecord {
                service_area,
                system_name,
                supplier_name,
                company_number,
                manufacturer,
                contract_reference,
                contract_start,
                contract_end,
                annual_value,
                hosting,
                satisfaction,
                notes: notes.unwrap_or_default(),
                visibility,
            }),
            _ => Err(c.errors),
        }
    }
}

/// Gathers field errors while each field is parsed.
#[derive(Default)]
struct Collect {
    errors: Errors,
}

impl Collect {
    fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.errors.add(field, m);
                None
            }
        }
    }
}

#[derive(Template)]
#[template(path = "estate/templates/form.html")]
struct FormPage {
    layout: Layout,
    errors: Errors,
    form: SystemForm,
    /// Where the form posts.
    action: String,
    heading: String,
    service_areas: Vec<String>,
    hostings: [Hosting; 4],
    visibilities: [Visibility; 3],
    cancel_href: String,
}

impl FormPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

#[allow(clippy::too_many_arguments)]
async fn show_form(
    state: &AppState,
    auth: &Auth,
    form: SystemForm,
    errors: Errors,
    action: String,
    heading: &str,
    cancel_href: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let title = if errors.is_empty() {
        heading.to_owned()
    } else {
        format!("Error: {heading}")
    };
    html(
        status,
        FormPage {
            layout: layout(auth, title).crumb("Technology estate", "/estate"),
            errors,
            form,
            action,
            heading: heading.to_owned(),
            service_areas: store::service_areas(&state.db, &auth.viewer()).await?,
            hostings: Hosting::ALL,
            visibilities: Visibility::ALL,
            cancel_href,
        },
    )
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    require_editor(&auth, "/estate/systems/new")?;
    let form = SystemForm {
        visibility: Visibility::London.as_str().into(),
        ..SystemForm::default()
    };
    show_form(
        &state,
        &auth,
        form,
        Errors::default(),
        "/estate/systems".into(),
        "Add a system",
        "/estate".into(),
        StatusCode::OK,
    )
    .await
}

fn duplicate_error(id: i64) -> Errors {
    let mut e = Errors::default();
    e.add(
        "system",
        format!("Your organisation already has this system from this supplier with the same reference and start date: edit record {id} instead"),
    );
    e
}

pub(super) async fn create(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, "/estate/systems/new")?;
    let form = SystemForm::from_fields(&fields);
    let again = |errors: Errors, form: SystemForm| {
        let (state, auth) = (state.clone(), auth.clone());
        async move {
            show_form(
                &state,
                &auth,
                form,
                errors,
                "/estate/systems".into(),
                "Add a system",
                "/estate".into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let rec = match form.validate() {
        Ok(r) => r,
        Err(errors) => return again(errors, form).await,
    };
    let writer = Writer {
        org_id: user.org_id,
        user_id: Some(user.id),
        source: Source::Form,
        import_id: None,
    };
    match store::create(&state.db, &writer, &rec).await {
        Ok(id) => Ok(Redirect::to(&format!("/estate/systems/{id}?done=added")).into_response()),
        Err(StoreError::Duplicate(id)) => again(duplicate_error(id), form).await,
        Err(StoreError::Db(e)) => Err(e.into()),
    }
}

/// The record, if the viewer may see it, and whether they may change it: 404 when it is not
/// theirs to see, 403 when they see it but it is another organisation's.
async fn editable(state: &AppState, auth: &Auth, id: i64) -> Result<EstateSystem, PageError> {
    let viewer = auth.viewer();
    let system = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !viewer.can_edit(system.org_id) {
        return Err(PageError::Forbidden(
            "Only the organisation that owns a record can change it.",
        ));
    }
    Ok(system)
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    require_editor(&auth, &format!("/estate/systems/{id}/edit"))?;
    let system = editable(&state, &auth, id).await?;
    show_form(
        &state,
        &auth,
        SystemForm::from_record(&system.to_record()),
        Errors::default(),
        format!("/estate/systems/{id}/edit"),
        &format!("Change {}", system.system_name),
        format!("/estate/systems/{id}"),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, &format!("/estate/systems/{id}/edit"))?;
    let system = editable(&state, &auth, id).await?;
    let form = SystemForm::from_fields(&fields);
    let heading = format!("Change {}", system.system_name);
    let again = |errors: Errors, form: SystemForm| {
        let (state, auth, heading) = (state.clone(), auth.clone(), heading.clone());
        async move {
            show_form(
                &state,
                &auth,
                form,
                errors,
                format!("/estate/systems/{id}/edit"),
                &heading,
                format!("/estate/systems/{id}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let rec = match form.validate() {
        Ok(r) => r,
        Err(errors) => return again(errors, form).await,
    };
    let writer = Writer {
        org_id: user.org_id,
        user_id: Some(user.id),
        source: Source::Form,
        import_id: None,
    };
    match store::update(&state.db, &writer, id, &rec).await {
        Ok(true) => Ok(Redirect::to(&format!("/estate/systems/{id}?done=saved")).into_response()),
        Ok(false) => Err(PageError::NotFound),
        Err(StoreError::Duplicate(other)) => again(duplicate_error(other), form).await,
        Err(StoreError::Db(e)) => Err(e.into()),
    }
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, &format!("/estate/systems/{id}"))?;
    let system = editable(&state, &auth, id).await?;
    if !store::delete(&state.db, &auth.viewer(), id).await? {
        return Err(PageError::NotFound);
    }
    accounts::audit(
        &state.db,
        Some(user),
        "estate_delete",
        &format!(
            "Deleted estate record {id} ({}, {})",
            system.system_name, system.supplier_name
        ),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/estate?done=deleted").into_response())
}
